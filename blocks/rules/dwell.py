"""Raise a dwell event when a track has stayed in a zone for at least a given time (loitering, queueing)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from blocks.rules._common import (
    EPS,
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


class DwellTime(Block[DwellConfig]):
    """Raise one dwell event per visit when a track has been inside the zone for min_seconds (value = seconds)."""

    type_id = "rules/dwell@v1"
    Config = DwellConfig
    inputs = (Port("tracks", Kind.TRACKS, description="Tracked objects"),)
    outputs = (Port("events", Kind.EVENTS, description="One dwell event per visit that lasts long enough"),)
    site_fields = ("polygon",)

    def start(self, ctx: StreamContext | None = None) -> ZoneTracks[Visit]:
        return zone_tracks(self.config, self.config.polygon, Visit)

    def process(self, state: ZoneTracks[Visit], frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        cfg = self.config
        tracks = select(inputs["tracks"], cfg, self.node_id)
        events = []
        for i, (tid, now_inside) in enumerate(zip(tracks.tracker_id, inside(state.zone, tracks), strict=True)):
            visit = state.tracks.see(tid, frame.pts)
            if visit.membership.update(now_inside, frame.pts, cfg.min_frames):
                visit.reported = False  # a new visit starts (or one ended): re-arm
            seconds = frame.pts - visit.membership.since
            if visit.membership.state and not visit.reported and seconds >= cfg.min_seconds - EPS:
                visit.reported = True
                events.append(track_event(self.node_id, frame, "dwell", tracks, i, cfg.name, value=round(seconds, 3)))
        state.tracks.forget_stale(frame.pts)
        return {"events": tuple(events)}

    def overlays(self) -> list[Overlay]:
        return zone_overlay(self.node_id, self.config.polygon, self.config.name)
