"""Estimate each track's ground speed from its recent motion and raise a speeding event above a limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import Field

from blocks.rules._common import (
    EPS,
    POLYGON_HELP,
    Motion,
    Polygon,
    TrackRuleConfig,
    WatchedMotion,
    ZoneTracks,
    anchors,
    inside,
    select,
    track_event,
    zone_overlay,
    zone_tracks,
)
from workbench.core.block import Block, Overlay, StreamContext
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port


class SpeedConfig(TrackRuleConfig):
    polygon: Polygon | None = Field(None, description=(
        POLYGON_HELP + "; only motion inside it is measured. Empty = the whole image"))
    pixels_per_meter: float = Field(..., gt=0, le=10000, description=(
        "Calibration: how many pixels one metre on the road spans in the image where speed is measured (measure a "
        "known length, e.g. a lane marking). One scale for the whole zone, so keep the zone where it holds"))
    window_seconds: float = Field(1.0, ge=0.1, le=10, description=(
        "Speed is the straight-line distance the anchor moved over this many seconds, divided by the time"))
    limit_kmh: float = Field(50.0, gt=0, le=500, description="Raise a speeding event when the estimate reaches this")


class SpeedEstimate(Block[SpeedConfig]):
    """Raise one speeding event per track when its speed over the window reaches the limit (value = km/h)."""

    type_id = "rules/speed@v1"
    Config = SpeedConfig
    inputs = (Port("tracks", Kind.TRACKS, description="Tracked objects"),)
    outputs = (Port("events", Kind.EVENTS, description="One speeding event per track over the limit"),)
    site_fields = ("polygon", "pixels_per_meter")

    def start(self, ctx: StreamContext | None = None) -> ZoneTracks[WatchedMotion]:
        cfg = self.config
        return zone_tracks(cfg, cfg.polygon, lambda: WatchedMotion(Motion(cfg.window_seconds)))

    def speed_kmh(self, motion: Motion) -> float | None:
        """km/h over the window, None until the track has been measured for a whole window."""
        if not motion.covers_window() or motion.span() < EPS:
            return None
        metres = float(np.hypot(*motion.displacement())) / self.config.pixels_per_meter
        return metres / motion.span() * 3.6

    def process(self, state: ZoneTracks[WatchedMotion], frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        cfg = self.config
        tracks = select(inputs["tracks"], cfg, self.node_id)
        points, in_zone = anchors(tracks, cfg.anchor), inside(state.zone, tracks)
        events = []
        for i, tid in enumerate(tracks.tracker_id):
            measure = state.tracks.see(tid, frame.pts)
            if not in_zone[i]:
                measure.motion.clear()  # measure only inside the zone: start again when it comes back
                continue
            measure.motion.add(frame.pts, points[i])
            kmh = self.speed_kmh(measure.motion)
            if kmh is not None and kmh >= cfg.limit_kmh and not measure.reported:
                measure.reported = True
                events.append(track_event(self.node_id, frame, "speeding", tracks, i, cfg.name, value=round(kmh, 2),
                                          extra={"limit_kmh": cfg.limit_kmh}))
        state.tracks.forget_stale(frame.pts)
        return {"events": tuple(events)}

    def overlays(self) -> list[Overlay]:
        return zone_overlay(self.node_id, self.config.polygon, self.config.name)
