"""Raise an event when a track crosses a counting line (supervision's LineZone, with anti-jitter settings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import supervision as sv
from pydantic import Field, model_validator

from blocks.rules._common import Point, TrackMemory, TrackRuleConfig, anchors, select, track_event
from workbench.core.block import Block, Overlay, StreamContext
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port

_CORNERS = (sv.Position.TOP_LEFT, sv.Position.TOP_RIGHT, sv.Position.BOTTOM_LEFT, sv.Position.BOTTOM_RIGHT)


class LineCrossingConfig(TrackRuleConfig):
    name: str = Field("line", min_length=1, max_length=80,
                      description="Label of this line, written to each event's region column")
    start: Point = Field(..., description="Line start [x, y] in pixels of the camera image")
    end: Point = Field(..., description="Line end [x, y] in pixels of the camera image")
    direction: Literal["both", "in", "out"] = Field("both", description=(
        "Which crossings raise events. in = from the right-hand side of the line (looking from start to end on the "
        "screen) to its left-hand side; out = the other way. A line drawn left to right: in = moving up the image"))
    min_frames_on_side: int = Field(3, ge=1, le=100, description=(
        "A crossing counts only after the object was seen this many frames in a row on the new side (anti-jitter)"))
    margin_px: float = Field(8.0, ge=0, le=200, description=(
        "Dead band either side of the line, in pixels: positions closer to the line than this decide nothing, so an "
        "object standing on the line and jittering is not counted again and again"))

    @model_validator(mode="after")
    def _line_has_length(self) -> LineCrossingConfig:
        if np.hypot(self.end[0] - self.start[0], self.end[1] - self.start[1]) < 1.0:
            raise ValueError("start and end of the line are the same point: draw a line at least 1 pixel long")
        return self


@dataclass
class LineState:
    line: sv.LineZone
    crossed: TrackMemory[set[str]]  # track id -> directions already reported
    counts: dict[str, int] = field(default_factory=lambda: {"in": 0, "out": 0})


class LineCrossing(Block[LineCrossingConfig]):
    """Raise a line_crossing event (direction in/out) the first time each track crosses the line in each direction."""

    type_id = "rules/line_crossing@v1"
    Config = LineCrossingConfig
    inputs = (Port("tracks", Kind.TRACKS, description="Tracked objects"),)
    outputs = (Port("events", Kind.EVENTS, description="One line_crossing event per track and direction"),)
    site_fields = ("start", "end")

    def start(self, ctx: StreamContext | None = None) -> LineState:
        cfg = self.config
        line = sv.LineZone(start=sv.Point(*cfg.start), end=sv.Point(*cfg.end), triggering_anchors=_CORNERS,
                           minimum_crossing_threshold=cfg.min_frames_on_side)
        return LineState(line=line, crossed=TrackMemory(cfg.forget_after, set))

    def process(self, state: LineState, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        cfg = self.config
        tracks = select(inputs["tracks"], cfg, self.node_id)
        ids = [int(t) for t in tracks.tracker_id]
        for tid in ids:
            state.crossed.see(tid, frame.pts)
        state.crossed.forget_stale(frame.pts)
        current = set(ids)
        held = [tid for tid in state.crossed if tid not in current]
        crossed_in, crossed_out = state.line.trigger(self._probe(tracks, held))

        events = []
        for i, tid in enumerate(ids):
            for direction, hit in (("in", crossed_in[i]), ("out", crossed_out[i])):
                done = state.crossed.see(tid, frame.pts)
                if not hit or direction in done or cfg.direction not in ("both", direction):
                    continue
                done.add(direction)
                state.counts[direction] += 1
                events.append(track_event(self.node_id, frame, "line_crossing", tracks, i, cfg.name,
                                          direction=direction, value=float(state.counts[direction])))
        return {"events": tuple(events)}

    def finish(self, state: LineState) -> dict[str, Any]:
        """Crossings reported in this stream, per direction (for summary.json)."""
        return {"in": state.counts["in"], "out": state.counts["out"]}

    def _probe(self, tracks: sv.Detections, held: list[int]) -> sv.Detections:
        """What LineZone sees: a square of half-size `margin_px` around each anchor point.

        LineZone skips a box whose corners lie on both sides of the line, so the square turns the margin into a dead
        band. Tracks remembered but missing this frame get a square straddling the line: skipped too, so LineZone keeps
        their side instead of dropping it after a few missing frames (occlusion while crossing).
        """
        cfg = self.config
        half = cfg.margin_px
        centres = anchors(tracks, cfg.anchor)
        mid = ((cfg.start[0] + cfg.end[0]) / 2, (cfg.start[1] + cfg.end[1]) / 2)
        hold = np.tile(np.array([mid], dtype=float), (len(held), 1))
        xy = np.vstack([centres, hold]) if len(held) else centres
        halves = np.concatenate([np.full(len(centres), half), np.full(len(held), max(half, 1.0))])[:, None]
        xyxy = np.hstack([xy - halves, xy + halves]).astype(np.float32).reshape(-1, 4)
        ids = np.array([*tracks.tracker_id.tolist(), *held], dtype=int)
        return sv.Detections(xyxy=xyxy, tracker_id=ids, class_id=np.zeros(len(ids), dtype=int))

    def overlays(self) -> list[Overlay]:
        cfg = self.config
        return [Overlay(node=self.node_id, shape="line", points=(tuple(cfg.start), tuple(cfg.end)), label=cfg.name)]
