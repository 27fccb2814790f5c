"""Raise zone_enter / zone_exit events when tracks come into or leave a polygon zone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from blocks.rules._common import (
    POLYGON_HELP,
    Debounced,
    Polygon,
    TrackRuleConfig,
    ZoneTracks,
    inside,
    select,
    track_event,
    zone_overlay,
    zone_tracks,
)
from workbench.core.block import Block, Overlay, StreamContext
from workbench.core.frames import Frame
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


class ZoneEnterExit(Block[ZoneEnterExitConfig]):
    """Raise zone_enter when a track comes into the zone and zone_exit (value = seconds inside) when it leaves."""

    type_id = "rules/zone_enter_exit@v1"
    Config = ZoneEnterExitConfig
    inputs = (Port("tracks", Kind.TRACKS, description="Tracked objects"),)
    outputs = (Port("events", Kind.EVENTS, description="zone_enter and zone_exit events"),)
    site_fields = ("polygon",)

    def start(self, ctx: StreamContext | None = None) -> ZoneTracks[Debounced]:
        return zone_tracks(self.config, self.config.polygon, Debounced)

    def process(self, state: ZoneTracks[Debounced], frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        cfg = self.config
        tracks = select(inputs["tracks"], cfg, self.node_id)
        events = []
        for i, (tid, now_inside) in enumerate(zip(tracks.tracker_id, inside(state.zone, tracks), strict=True)):
            membership = state.tracks.see(tid, frame.pts)
            before, entered_at = membership.state, membership.since
            if not membership.update(now_inside, frame.pts, cfg.min_frames):
                continue
            if membership.state and "enter" in cfg.events and (before is not None or cfg.count_initial):
                events.append(track_event(self.node_id, frame, "zone_enter", tracks, i, cfg.name, direction="in"))
            elif not membership.state and before and "exit" in cfg.events:
                events.append(track_event(self.node_id, frame, "zone_exit", tracks, i, cfg.name, direction="out",
                                          value=round(membership.since - entered_at, 3)))
        state.tracks.forget_stale(frame.pts)
        return {"events": tuple(events)}

    def overlays(self) -> list[Overlay]:
        return zone_overlay(self.node_id, self.config.polygon, self.config.name)
