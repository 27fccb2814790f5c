"""Raise an event when a track crosses a counting line (supervision's LineZone, with anti-jitter settings).

supervision's LineZone decides the side of each track and confirms a change of side after `min_frames_on_side`
frames; this block adds what real detectors need around it:

- a dead band either side of the line (`margin_px`, and at least `margin_fraction` of the object's own size across
  the line): positions in it decide nothing, so a box that jitters, or a vehicle waiting with its front over the line,
  is not counted;
- where the crossing happened: LineZone only watches tracks whose point lies within the line's ends (in the band
  perpendicular to the segment), so a vehicle that comes round the end of a line drawn kerb to kerb on a bend, or a
  big vehicle whose dead band pokes past an end, was never counted. Here LineZone watches a long line, and a
  crossing it reports counts only where the track's path went through the drawn segment (its end widened by the dead
  band): a path round the end still does not count.
"""

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

# The probe LineZone sees per track: a short segment across the line, its two ends stored as a box's top-left and
# bottom-right corners (supervision reads those corners as given, even when x1 > x2).
_PROBE_ENDS = (sv.Position.TOP_LEFT, sv.Position.BOTTOM_RIGHT)
_REACH = 1.0e5  # pixels LineZone's line is extended by at both ends: every point of any picture is within its ends


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
    # 0.1: a pretrained detector's box is off by up to ~7 % of a car's length next to a person or another object
    # (measured: NanoDet on the real_traffic scenes); the motion detector's small boxes keep margin_px.
    margin_fraction: float = Field(0.1, ge=0, le=1, description=(
        "The dead band is also at least this share of the object's own size across the line (its box's width for a "
        "line drawn up and down): a detector's box is off by a few per cent of the object's size, so a big vehicle "
        "waiting with its front just over the line is not counted until it drives on. 0 = margin_px alone"))

    @model_validator(mode="after")
    def _line_has_length(self) -> LineCrossingConfig:
        if np.hypot(self.end[0] - self.start[0], self.end[1] - self.start[1]) < 1.0:
            raise ValueError("start and end of the line are the same point: draw a line at least 1 pixel long")
        return self


@dataclass
class TrackSides:
    """What the rule remembers of one track: directions reported, its last decisive position (outside the dead
    band) and the last change of side (the last decisive point before it, the first after it)."""

    done: set[str] = field(default_factory=set)
    last: tuple[float, np.ndarray] | None = None  # (signed distance to the line, point)
    change: tuple[tuple[float, np.ndarray], tuple[float, np.ndarray]] | None = None


@dataclass
class LineState:
    line: sv.LineZone
    crossed: TrackMemory[TrackSides]  # track id -> what is remembered of it
    counts: dict[str, int] = field(default_factory=lambda: {"in": 0, "out": 0})


@dataclass(frozen=True)
class _Geometry:
    """The drawn line: start, unit direction, unit normal (towards the "out" side), length."""

    start: np.ndarray
    unit: np.ndarray
    normal: np.ndarray
    length: float

    @classmethod
    def of(cls, start: Point, end: Point) -> _Geometry:
        a, b = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
        length = float(np.hypot(*(b - a)))
        unit = (b - a) / length
        # supervision: cross((end - start), (p - start)) < 0 is the "in" side; this normal points to the other side
        return cls(a, unit, np.array([-unit[1], unit[0]]), length)

    def signed(self, points: np.ndarray) -> np.ndarray:
        """Distance of each point from the line, negative on the "in" side."""
        return (points - self.start) @ self.normal

    def along(self, point: np.ndarray) -> float:
        """Position of a point's foot on the line, in pixels from start."""
        return float((point - self.start) @ self.unit)


class LineCrossing(Block[LineCrossingConfig]):
    """Raise a line_crossing event (direction in/out) the first time each track crosses the line in each direction."""

    type_id = "rules/line_crossing@v1"
    Config = LineCrossingConfig
    inputs = (Port("tracks", Kind.TRACKS, description="Tracked objects"),)
    outputs = (Port("events", Kind.EVENTS, description="One line_crossing event per track and direction"),)
    site_fields = ("start", "end")

    def start(self, ctx: StreamContext | None = None) -> LineState:
        cfg = self.config
        geo = _Geometry.of(cfg.start, cfg.end)
        far_start, far_end = geo.start - _REACH * geo.unit, geo.start + (geo.length + _REACH) * geo.unit
        line = sv.LineZone(start=sv.Point(*far_start), end=sv.Point(*far_end), triggering_anchors=_PROBE_ENDS,
                           minimum_crossing_threshold=cfg.min_frames_on_side)
        return LineState(line=line, crossed=TrackMemory(cfg.forget_after, TrackSides))

    def process(self, state: LineState, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        cfg = self.config
        geo = _Geometry.of(cfg.start, cfg.end)
        tracks = select(inputs["tracks"], cfg, self.node_id)
        ids = [int(t) for t in tracks.tracker_id]
        points = anchors(tracks, cfg.anchor)
        halves = self._halves(tracks, geo)
        distances = geo.signed(points)
        for tid, point, dist, half in zip(ids, points, distances, halves, strict=True):
            self._remember(state.crossed.see(tid, frame.pts), point, float(dist), float(half))
        state.crossed.forget_stale(frame.pts)
        current = set(ids)
        held = [tid for tid in state.crossed if tid not in current]
        crossed_in, crossed_out = state.line.trigger(self._probe(tracks, points, halves, held, geo))

        events = []
        for i, tid in enumerate(ids):
            for direction, hit in (("in", crossed_in[i]), ("out", crossed_out[i])):
                record = state.crossed.see(tid, frame.pts)
                if not hit or not self._through_segment(record, geo, float(halves[i])):
                    continue
                if direction in record.done or cfg.direction not in ("both", direction):
                    continue
                record.done.add(direction)
                state.counts[direction] += 1
                events.append(track_event(self.node_id, frame, "line_crossing", tracks, i, cfg.name,
                                          direction=direction, value=float(state.counts[direction])))
        return {"events": tuple(events)}

    def finish(self, state: LineState) -> dict[str, Any]:
        """Crossings reported in this stream, per direction (for summary.json)."""
        return {"in": state.counts["in"], "out": state.counts["out"]}

    def _halves(self, tracks: sv.Detections, geo: _Geometry) -> np.ndarray:
        """Half-width of each track's dead band: margin_px, or margin_fraction of its box's extent across the line."""
        cfg = self.config
        if len(tracks) == 0:
            return np.zeros(0)
        size = np.abs(tracks.xyxy[:, 2:4] - tracks.xyxy[:, 0:2]).astype(float)
        across = size @ np.abs(geo.normal)
        return np.maximum(cfg.margin_px, cfg.margin_fraction * across)

    @staticmethod
    def _remember(record: TrackSides, point: np.ndarray, dist: float, half: float) -> None:
        """Keep the track's last decisive position and the last change of side between decisive positions."""
        if abs(dist) <= half:
            return
        now = (dist, np.array(point, dtype=float))
        if record.last is not None and (record.last[0] < 0) != (dist < 0):
            record.change = (record.last, now)
        record.last = now

    @staticmethod
    def _through_segment(record: TrackSides, geo: _Geometry, half: float) -> bool:
        """Whether the track's last change of side went through the drawn line (its ends widened by `half`)."""
        if record.change is None:  # LineZone saw the change, this rule did not (cannot happen): trust LineZone
            return True
        (d0, p0), (d1, p1) = record.change
        crossing = p0 + (p1 - p0) * (d0 / (d0 - d1))
        return -half <= geo.along(crossing) <= geo.length + half

    @staticmethod
    def _probe(tracks: sv.Detections, points: np.ndarray, halves: np.ndarray, held: list[int],
               geo: _Geometry) -> sv.Detections:
        """What LineZone sees: per track a segment across the line, `half` either side of its anchor point.

        LineZone skips a probe whose ends lie on both sides of the line, so the segment turns the margin into a dead
        band. Tracks remembered but missing this frame get a probe straddling the line: skipped too, so LineZone keeps
        their side instead of dropping it after a few missing frames (occlusion while crossing).
        """
        mid = geo.start + geo.unit * geo.length / 2
        xy = np.vstack([points, np.tile(mid, (len(held), 1))]) if held else points.reshape(-1, 2)
        half = np.concatenate([halves, np.ones(len(held))])[:, None]
        xyxy = np.hstack([xy - half * geo.normal, xy + half * geo.normal]).astype(np.float32).reshape(-1, 4)
        ids = np.array([*tracks.tracker_id.tolist(), *held], dtype=int)
        return sv.Detections(xyxy=xyxy, tracker_id=ids, class_id=np.zeros(len(ids), dtype=int))

    def overlays(self) -> list[Overlay]:
        cfg = self.config
        return [Overlay(node=self.node_id, shape="line", points=(tuple(cfg.start), tuple(cfg.end)), label=cfg.name)]
