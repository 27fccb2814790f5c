"""Shared adapter from supervision detections to ultralytics' maintained trackers (ByteTrack, BoT-SORT) and back.

The tracker itself is ultralytics' (imported when a stream starts, not when the block is listed). This module only
converts: `sv.Detections` -> `ultralytics.engine.results.Boxes` -> `tracker.update()` -> rows
`[x1, y1, x2, y2, track_id, score, cls, idx]`, where `idx` points back into the input, so the output keeps the input's
boxes, class names and other data columns. It adds `tracker_id` and `data["trajectory"]` (bottom-centre history).

With `class_vote` (the default) a track carries one class: the one its detections had most, weighted by confidence.
A pretrained detector calls one van "car" in some frames and "truck" in others (NanoDet on the real-pixel scenes: a
van 42 frames truck, 14 car, 5 bus); a rule watching trucks would see that vehicle appear and vanish.
"""

from __future__ import annotations

import importlib
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import supervision as sv
from pydantic import Field

from workbench.core.block import Block, BlockConfig, StreamContext
from workbench.core.config_checks import not_above
from workbench.core.events import EVENT_TRAJECTORY_POINTS
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port
from workbench.models.ultralytics_env import prepare_ultralytics

REFERENCE_FPS = 30.0  # track_buffer is counted in frames at this rate, as in ByteTrack
# Memory per stream grows with both: every live or lost track keeps up to trajectory_length points for track_buffer
# frames. 3000 points is 100 s at 30 fps (the default 300 draws 10 s of trace); 9000 frames keeps a lost track 5 min.
MAX_TRAJECTORY_LENGTH = 3000
MAX_TRACK_BUFFER = 9000


class TrackerConfig(BlockConfig):
    """Settings of ultralytics' bytetrack.yaml, described as in its comments, plus class voting and the trajectory
    length."""

    track_high_thresh: float = Field(
        0.25, ge=0.0, le=1.0,
        description="First-stage match threshold: detections at or above this confidence are matched first; "
        "raise for cleaner tracks, lower to keep more")
    track_low_thresh: float = Field(
        0.1, ge=0.0, le=1.0,
        description="Second-stage threshold: detections between this and track_high_thresh can only continue an "
        "existing track; balances recovery vs drift")
    new_track_thresh: float = Field(
        0.25, ge=0.0, le=1.0,
        description="Start a new track only from a detection at least this confident; higher reduces false tracks")
    track_buffer: int = Field(
        30, ge=1, le=MAX_TRACK_BUFFER,
        description="How long a lost track is kept, in frames at 30 fps (scaled to the stream's frame rate, so 30 "
        "is about one second); higher survives occlusions, but risks more identity switches")
    match_thresh: float = Field(
        0.8, ge=0.0, le=1.0,
        description="Association threshold (IoU cost, 0-1): a track and a detection are matched when their cost is "
        "below it; higher matches more loosely. Tune with detector quality")
    fuse_score: bool = Field(
        True, description="Fuse detection confidence with box overlap for matching; stabilizes weak detections")
    class_vote: bool = Field(
        True, description="Each track keeps one class: the one its detections had most often (weighted by "
        "confidence), so a vehicle the detector calls car in some frames and truck in others stays one class for "
        "the rules. Off: every frame carries its own detection's class")
    trajectory_length: int = Field(
        300, ge=1, le=MAX_TRAJECTORY_LENGTH,
        description="Bottom-centre points kept per track for rules and drawing (the newest are kept); events carry "
        f"only the newest {EVENT_TRAJECTORY_POINTS}")

    _low_below_high = not_above("track_low_thresh", "track_high_thresh")


@dataclass
class TrackingState:
    """One stream's tracker and the bottom-centre history of every live track."""

    tracker: Any
    trajectory_length: int
    history: dict[int, deque] = field(default_factory=dict)
    votes: dict[int, Counter] = field(default_factory=dict)  # track id -> confidence summed per (class id, name)


def _boxes(dets: sv.Detections, frame: Frame) -> Any:
    """Detections as ultralytics `Boxes` ([x1, y1, x2, y2, conf, cls] rows), the input its trackers expect."""
    from ultralytics.engine.results import Boxes  # imported after prepare_ultralytics() in load()/start()

    n = len(dets)
    conf = dets.confidence if dets.confidence is not None else np.ones(n, dtype=np.float32)
    cls = dets.class_id if dets.class_id is not None else np.zeros(n)
    rows = np.column_stack([dets.xyxy.astype(np.float32).reshape(n, 4), conf, cls]).astype(np.float32).reshape(n, 6)
    return Boxes(rows, orig_shape=(frame.image.shape[0], frame.image.shape[1]))


class UltralyticsTracker(Block[TrackerConfig]):
    """Base of the tracker blocks: subclasses name the ultralytics tracker class and its extra settings."""

    inputs = (Port("detections", Kind.DETECTIONS, description="Detections of this frame"),)
    outputs = (Port("tracks", Kind.TRACKS, description="Detections with a track id and their trajectory so far"),)
    tracker_class: ClassVar[str]  # "module:Class" inside ultralytics
    tracker_type: ClassVar[str]  # the tracker_type value of the ultralytics YAML

    def tracker_args(self, fps: float) -> dict[str, Any]:
        """The ultralytics tracker settings (its YAML keys) for a stream at `fps`."""
        cfg = self.config.model_dump(exclude={"trajectory_length", "class_vote"})
        cfg["track_buffer"] = max(1, round(self.config.track_buffer * fps / REFERENCE_FPS))
        return {"tracker_type": self.tracker_type, **cfg}

    def _tracker_cls(self) -> type:
        prepare_ultralytics()  # offline, safe-load and config-folder settings before ultralytics is first imported
        module, name = self.tracker_class.split(":")
        return getattr(importlib.import_module(module), name)

    def load(self) -> None:
        """Import ultralytics once when the pipeline is compiled (a few seconds), not while the first stream plays."""
        self._tracker_cls()

    def start(self, ctx: StreamContext) -> TrackingState:
        """A fresh tracker (track ids restart at 1) and empty trajectories."""
        tracker_cls = self._tracker_cls()
        fps = ctx.fps if ctx.fps and ctx.fps > 0 else REFERENCE_FPS
        tracker = tracker_cls(SimpleNamespace(**self.tracker_args(fps)))
        return TrackingState(tracker=tracker, trajectory_length=self.config.trajectory_length)

    def process(self, state: TrackingState, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        dets: sv.Detections = inputs["detections"]
        rows = state.tracker.update(_boxes(dets, frame), frame.image)
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, 8)
        rows = rows[np.argsort(rows[:, 7], kind="stable")]  # keep the input's order
        idx = rows[:, 7].astype(int)
        tracks = dets[idx]  # a new object: indexing copies boxes, class ids, confidences and data columns
        tracks.tracker_id = rows[:, 4].astype(int)
        anchors = tracks.get_anchors_coordinates(sv.Position.BOTTOM_CENTER).astype(np.float32)
        trajectories = np.empty(len(tracks), dtype=object)
        for i, (tid, point) in enumerate(zip(tracks.tracker_id, anchors, strict=True)):
            points = state.history.setdefault(int(tid), deque(maxlen=state.trajectory_length))
            points.append(point)
            trajectories[i] = np.array(points, dtype=np.float32).reshape(-1, 2)
        tracks.data["trajectory"] = trajectories
        if self.config.class_vote:
            _vote_classes(tracks, state.votes)
        for gone in getattr(state.tracker, "removed_stracks_frame", ()):  # forget tracks the tracker dropped
            state.history.pop(int(gone.track_id), None)
            state.votes.pop(int(gone.track_id), None)
        return {"tracks": tracks}


def _vote_classes(tracks: sv.Detections, votes: dict[int, Counter]) -> None:
    """Give each track (in place: `tracks` is this block's own copy) the class its detections had most so far,
    weighted by confidence; `class_id` follows the name."""
    names = tracks.data.get("class_name")
    if names is None or len(tracks) == 0:
        return
    ids = tracks.class_id if tracks.class_id is not None else np.full(len(tracks), -1)
    conf = tracks.confidence if tracks.confidence is not None else np.ones(len(tracks))
    voted_names, voted_ids = np.asarray(names).astype(object), np.asarray(ids).copy()
    for i, tid in enumerate(tracks.tracker_id):
        tally = votes.setdefault(int(tid), Counter())
        tally[(int(ids[i]), str(names[i]))] += float(conf[i])
        (voted_ids[i], voted_names[i]), _ = tally.most_common(1)[0]
    tracks.data["class_name"] = voted_names.astype(str)
    if tracks.class_id is not None:
        tracks.class_id = voted_ids
