"""Raise a crowding event when too many tracks stay in a zone for too long."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import supervision as sv
from pydantic import Field

from blocks.rules._common import (
    EPS,
    POLYGON_HELP,
    Debounced,
    Polygon,
    RuleConfig,
    inside,
    make_zone,
    region_event,
    select,
    zone_overlay,
)
from workbench.core.block import Block, Overlay, StreamContext
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port


class CrowdingConfig(RuleConfig):
    polygon: Polygon = Field(..., description=POLYGON_HELP)
    min_count: int = Field(5, ge=1, le=10000, description="Crowded = at least this many tracked objects inside")
    min_seconds: float = Field(5.0, ge=0, le=86400,
                               description="Raise the event once the zone has been crowded this long")
    min_frames: int = Field(3, ge=1, le=250, description=(
        "Frames in a row the count must stay at or above (below) min_count before the zone counts as crowded (no "
        "longer crowded), so one missed detection does not end an episode"))


@dataclass
class CrowdingState:
    zone: sv.PolygonZone
    crowded: Debounced = field(default_factory=Debounced)
    reported: bool = False


class Crowding(Block[CrowdingConfig]):
    """Raise one crowding event per episode when min_count tracks are inside for min_seconds (value = count)."""

    type_id = "rules/crowding@v1"
    Config = CrowdingConfig
    inputs = (Port("tracks", Kind.TRACKS, description="Tracked objects"),)
    outputs = (Port("events", Kind.EVENTS, description="One crowding event per crowded episode"),)
    site_fields = ("polygon",)

    def start(self, ctx: StreamContext | None = None) -> CrowdingState:
        return CrowdingState(zone=make_zone(self.config.polygon, self.config.anchor))

    def process(self, state: CrowdingState, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        cfg = self.config
        tracks = select(inputs["tracks"], cfg, self.node_id)
        present = tracks[inside(state.zone, tracks)]
        if state.crowded.update(len(present) >= cfg.min_count, frame.pts, cfg.min_frames) and not state.crowded.state:
            state.reported = False  # the episode is over: re-arm
        seconds = frame.pts - state.crowded.since
        if not state.crowded.state or state.reported or seconds < cfg.min_seconds - EPS or len(present) < cfg.min_count:
            return {"events": ()}
        state.reported = True
        x1, y1 = present.xyxy[:, :2].min(axis=0)
        x2, y2 = present.xyxy[:, 2:].max(axis=0)
        event = region_event(self.node_id, frame, "crowding", cfg.name, value=float(len(present)),
                             bbox=tuple(round(float(v), 1) for v in (x1, y1, x2, y2)),
                             extra={"track_ids": sorted(int(t) for t in present.tracker_id),
                                    "seconds": round(seconds, 3)})
        return {"events": (event,)}

    def overlays(self) -> list[Overlay]:
        return zone_overlay(self.node_id, self.config.polygon, self.config.name)
