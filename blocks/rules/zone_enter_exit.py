"""Raise zone_enter / zone_exit events when tracks come into or leave a polygon zone."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from blocks.rules._common import POLYGON_HELP, Debounced, Polygon, TrackRuleConfig
from blocks.rules._zone_rule import Sighting, TrackZoneRule
from workbench.core.events import Event
from workbench.core.kinds import Kind, Port


class ZoneEnterExitConfig(TrackRuleConfig):
    polygon: Polygon = Field(..., description=POLYGON_HELP)
    events: tuple[Literal["enter", "exit"], ...] = Field(
        ("enter", "exit"), min_length=1, description="Which changes raise events: enter, exit or both")
    min_frames: int = Field(3, ge=1, le=250, description=(
        "Frames in a row an object must be seen inside (or outside) before it counts as entered (or left), so "
        "jitter on the border does not raise events"))
    count_initial: bool = Field(False, description=(
        "Raise zone_enter for a track that is already inside when it is first seen (e.g. at the start of the "
        "video); off = only tracks seen outside first and then inside count as entering. Exits are raised either way"))


class ZoneEnterExit(TrackZoneRule[ZoneEnterExitConfig, Debounced]):
    """Raise zone_enter when a track comes into the zone and zone_exit (value = seconds inside) when it leaves."""

    type_id = "rules/zone_enter_exit@v1"
    Config = ZoneEnterExitConfig
    outputs = (Port("events", Kind.EVENTS, description="zone_enter and zone_exit events"),)
    new_record = Debounced

    def observe(self, record: Debounced, seen: Sighting) -> Event | None:
        cfg = self.config
        before, entered_at = record.state, record.since
        if not record.update(seen.inside, seen.frame.pts, cfg.min_frames):
            return None
        if record.state and "enter" in cfg.events and (before is not None or cfg.count_initial):
            return self.event("zone_enter", seen, direction="in")
        if not record.state and before and "exit" in cfg.events:
            return self.event("zone_exit", seen, direction="out", value=round(record.since - entered_at, 3))
        return None
