"""Raise a dwell event when a track has stayed in a zone for at least a given time (loitering, queueing)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field

from blocks.rules._common import EPS, POLYGON_HELP, Debounced, Polygon, TrackRuleConfig
from blocks.rules._zone_rule import Sighting, TrackZoneRule
from workbench.core.events import Event
from workbench.core.kinds import Kind, Port


class DwellConfig(TrackRuleConfig):
    polygon: Polygon = Field(..., description=POLYGON_HELP)
    min_seconds: float = Field(10.0, gt=0, le=86400,
                               description="Raise the event once a track has been inside this long")
    min_frames: int = Field(3, ge=1, le=250, description=(
        "Frames in a row an object must be seen inside (or outside) before its visit starts (or ends), so jitter "
        "on the border does not restart the clock"))


@dataclass
class Visit:
    membership: Debounced = field(default_factory=Debounced)
    reported: bool = False


class DwellTime(TrackZoneRule[DwellConfig, Visit]):
    """Raise one dwell event per visit when a track has been inside the zone for min_seconds (value = seconds)."""

    type_id = "rules/dwell@v1"
    Config = DwellConfig
    outputs = (Port("events", Kind.EVENTS, description="One dwell event per visit that lasts long enough"),)
    new_record = Visit

    def observe(self, record: Visit, seen: Sighting) -> Event | None:
        pts = seen.frame.pts
        if record.membership.update(seen.inside, pts, self.config.min_frames):
            record.reported = False  # a new visit starts (or one ended): re-arm
        seconds = pts - record.membership.since
        if not record.membership.state or record.reported or seconds < self.config.min_seconds - EPS:
            return None
        record.reported = True
        return self.event("dwell", seen, value=round(seconds, 3))
