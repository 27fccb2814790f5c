"""What every rule block shares: settings, the class filter, the zone test, per-track memory and event building."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

import numpy as np
import supervision as sv
from pydantic import Field

from workbench.core.block import BlockConfig, Overlay
from workbench.core.class_names import class_mask
from workbench.core.errors import BlockError
from workbench.core.events import Event
from workbench.core.frames import Frame
from workbench.core.shapes import MAX_POLYGON_POINTS, Coord, Point, Polygon

__all__ = ["Coord", "Point", "Polygon"]  # pixel points and zones (bounded): defined once in workbench.core.shapes

Anchor = Literal["bottom_center", "center", "top_center", "bottom_left", "bottom_right", "top_left", "top_right",
                 "center_left", "center_right"]
EPS = 1e-6  # seconds: frame times are index / fps, so compare them with a little slack
POLYGON_HELP = f"Corners of the zone, [x, y] in pixels of the camera image, 3 to {MAX_POLYGON_POINTS}"
ANCHOR_HELP = "Point of the box that is tested: bottom_center is where an object touches the ground"


class RuleConfig(BlockConfig):
    """Settings every rule has: the label of its line/zone, the classes it watches, the box point it tests."""

    name: str = Field("zone", min_length=1, max_length=80,
                      description="Label of this line or zone, written to each event's region column")
    classes: tuple[str, ...] = Field(
        (), description="Only watch these class names (e.g. car, person; case is ignored); empty = all")
    anchor: Anchor = Field("bottom_center", description=ANCHOR_HELP)


class TrackRuleConfig(RuleConfig):
    """A rule that remembers each track for a while."""

    forget_after: float = Field(10.0, ge=0.5, le=3600, description=(
        "Seconds after which a track that is no longer seen is forgotten; if it comes back it starts afresh"))


def position(anchor: str) -> sv.Position:
    return sv.Position[anchor.upper()]


def select(tracks: sv.Detections, config: RuleConfig, node: str) -> sv.Detections:
    """The confirmed tracks (id >= 0) of the wanted classes (names ignore case and spaces), as a new Detections (the
    input is not touched)."""
    if tracks.tracker_id is None:
        raise BlockError("rule_needs_tracks", node, "inputs.tracks")
    keep = tracks.tracker_id >= 0
    if config.classes:
        keep &= class_mask(class_names(tracks), config.classes)
    return tracks[keep]


def class_names(tracks: sv.Detections) -> np.ndarray:
    names = tracks.data.get("class_name")
    if names is not None:
        return np.asarray(names).astype(str)
    ids = tracks.class_id if tracks.class_id is not None else np.full(len(tracks), -1)
    return np.array([str(i) for i in ids], dtype=str)


def anchors(tracks: sv.Detections, anchor: str) -> np.ndarray:
    """(n, 2) float array of each box's anchor point."""
    if len(tracks) == 0:
        return np.zeros((0, 2), dtype=float)
    return np.asarray(tracks.get_anchors_coordinates(position(anchor)), dtype=float).reshape(-1, 2)


def make_zone(polygon: tuple[tuple[float, float], ...], anchor: str) -> sv.PolygonZone:
    """supervision's zone; it keeps a count, so it belongs in per-stream state."""
    return sv.PolygonZone(polygon=np.round(np.array(polygon)).astype(int), triggering_anchors=(position(anchor),))


def inside(zone: sv.PolygonZone | None, tracks: sv.Detections) -> np.ndarray:
    """Which tracks have their anchor in the zone; every track when there is no zone."""
    if zone is None:
        return np.ones(len(tracks), dtype=bool)
    return zone.trigger(tracks) if len(tracks) else np.zeros(0, dtype=bool)


def zone_overlay(node: str, polygon: tuple[tuple[float, float], ...] | None, label: str) -> list[Overlay]:
    if polygon is None:
        return []
    return [Overlay(node=node, shape="polygon", points=tuple(tuple(p) for p in polygon), label=label)]


def track_event(node: str, frame: Frame, type_: str, tracks: sv.Detections, i: int, region: str,
                **fields) -> Event:
    """An event about track row `i` of `tracks` at `frame`."""
    conf = None if tracks.confidence is None else round(float(tracks.confidence[i]), 4)
    trajectory: tuple[tuple[float, float], ...] = ()
    traj = tracks.data.get("trajectory")
    if traj is not None and traj[i] is not None:
        trajectory = tuple((round(float(x), 1), round(float(y), 1)) for x, y in np.asarray(traj[i]).reshape(-1, 2))
    return Event(
        time=frame.wall_time.isoformat(), pts=round(frame.pts, 4), frame=frame.index, node=node, type=type_,
        track_id=int(tracks.tracker_id[i]), class_name=str(class_names(tracks)[i]), region=region,
        confidence=conf, bbox=tuple(round(float(v), 1) for v in tracks.xyxy[i]), trajectory=trajectory,
        source=frame.source, **fields)


def region_event(node: str, frame: Frame, type_: str, region: str, **fields) -> Event:
    """An event about a zone as a whole (no single track)."""
    return Event(time=frame.wall_time.isoformat(), pts=round(frame.pts, 4), frame=frame.index, node=node,
                 type=type_, region=region, source=frame.source, **fields)


T = TypeVar("T")


class TrackMemory(Generic[T]):
    """Per-track records, dropped when a track has not been seen for `forget_after` seconds (bounded memory)."""

    def __init__(self, forget_after: float, factory: Callable[[], T]) -> None:
        self.forget_after = forget_after
        self._factory = factory
        self._items: dict[int, T] = {}
        self._seen: dict[int, float] = {}

    def see(self, track_id: int, pts: float) -> T:
        """The record of a track seen at `pts` (created on first sight)."""
        track_id = int(track_id)
        self._seen[track_id] = pts
        if track_id not in self._items:
            self._items[track_id] = self._factory()
        return self._items[track_id]

    def forget_stale(self, pts: float) -> None:
        for tid in [t for t, seen in self._seen.items() if pts - seen > self.forget_after]:
            del self._seen[tid], self._items[tid]

    def __contains__(self, track_id: int) -> bool:
        return int(track_id) in self._items

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class WatchedMotion:
    """A track's recent motion and whether the rule has already reported it (once per track)."""

    motion: Motion
    reported: bool = False


@dataclass
class ZoneTracks(Generic[T]):
    """Per-stream state of a zone rule: its zone (None = the whole image) and what it remembers per track."""

    zone: sv.PolygonZone | None
    tracks: TrackMemory[T]


def zone_tracks(config: TrackRuleConfig, polygon: tuple[tuple[float, float], ...] | None,
                record: Callable[[], T]) -> ZoneTracks[T]:
    """Fresh state for a zone rule: the zone from `polygon` (if any) and an empty per-track memory."""
    zone = make_zone(polygon, config.anchor) if polygon is not None else None
    return ZoneTracks(zone=zone, tracks=TrackMemory(config.forget_after, record))


@dataclass
class Debounced:
    """A yes/no state (inside a zone, crowded) that changes only after `min_frames` agreeing observations in a row.

    `state` is None until the first run of `min_frames` agreeing observations; `since` is the time of the first
    observation of the run that set the current state (when the object really entered, not when it was confirmed).
    """

    state: bool | None = None
    since: float = 0.0
    _candidate: bool | None = None
    _count: int = 0
    _run_since: float = 0.0

    def update(self, raw: bool, pts: float, min_frames: int) -> bool:
        """Feed one observation; True when the confirmed state changed."""
        raw = bool(raw)
        if raw == self.state:
            self._count = 0
            return False
        if self._count == 0 or raw != self._candidate:
            self._candidate, self._count, self._run_since = raw, 1, pts
        else:
            self._count += 1
        if self._count >= min_frames:
            self.state, self.since, self._count = raw, self._run_since, 0
            return True
        return False


@dataclass
class Motion:
    """Recent (time, x, y) samples of one track, at least `window` seconds of them when available."""

    window: float
    samples: deque[tuple[float, float, float]] = field(default_factory=deque)

    def add(self, pts: float, xy: np.ndarray) -> None:
        self.samples.append((pts, float(xy[0]), float(xy[1])))
        # Keep exactly one sample at or before the start of the window, so the window is fully covered.
        while len(self.samples) > 1 and self.samples[1][0] <= pts - self.window + EPS:
            self.samples.popleft()

    def span(self) -> float:
        return self.samples[-1][0] - self.samples[0][0] if self.samples else 0.0

    def covers_window(self) -> bool:
        return self.span() >= self.window - EPS

    def displacement(self) -> np.ndarray:
        """(dx, dy) from the oldest kept sample to the newest."""
        if not self.samples:
            return np.zeros(2)
        first, last = self.samples[0], self.samples[-1]
        return np.array([last[1] - first[1], last[2] - first[2]])

    def clear(self) -> None:
        self.samples.clear()
