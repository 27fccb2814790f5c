"""Drive a rule block frame by frame with objects given by their bottom-centre position."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from support import make_detections, make_frame

from workbench.core.events import Event

TRAJECTORY_LENGTH = 50


class Scene:
    """One stream through a rule: `step({track_id: (x, y)})` makes a frame with those objects and returns the events.

    Boxes are `size` (w, h) with their bottom centre at (x, y); trajectories accumulate like a tracker's (the last
    `TRAJECTORY_LENGTH` points). Every step checks that the rule did not change its input.
    """

    def __init__(self, block, fps: float = 25.0, size: tuple[float, float] = (40, 80)):
        self.block, self.fps, self.size = block, fps, size
        self.state = block.start(None)
        self.index = 0
        self.trajectories: dict[int, list[tuple[float, float]]] = defaultdict(list)
        self.events: list[Event] = []

    def step(self, objects: dict[int, tuple[float, float]], classes: dict[int, str] | None = None) -> tuple:
        w, h = self.size
        boxes, ids, names, trajs = [], [], [], []
        for tid, (x, y) in objects.items():
            self.trajectories[tid].append((x, y))
            boxes.append([x - w / 2, y - h, x + w / 2, y])
            ids.append(tid)
            names.append((classes or {}).get(tid, "car"))
            trajs.append(self.trajectories[tid][-TRAJECTORY_LENGTH:])
        tracks = make_detections(boxes, names, tracker_ids=ids, trajectories=trajs)
        before = (tracks.xyxy.copy(), tracks.tracker_id.copy(), [t.copy() for t in tracks.data["trajectory"]])
        out = self.block.process(self.state, make_frame(self.index, self.fps), {"tracks": tracks})
        assert np.array_equal(tracks.xyxy, before[0]) and np.array_equal(tracks.tracker_id, before[1])
        assert all(np.array_equal(a, b) for a, b in zip(tracks.data["trajectory"], before[2], strict=True))
        self.index += 1
        events = out["events"]
        assert isinstance(events, tuple) and all(isinstance(e, Event) for e in events)
        self.events.extend(events)
        return events

    def run(self, paths: dict[int, list], classes: dict[int, str] | None = None) -> list[Event]:
        """Play per-track position lists side by side (None = not seen that frame); returns the events raised."""
        start = len(self.events)
        for k in range(max(len(p) for p in paths.values())):
            self.step({tid: p[k] for tid, p in paths.items() if k < len(p) and p[k] is not None}, classes)
        return self.events[start:]

    def idle(self, frames: int) -> list[Event]:
        """Frames with nothing tracked."""
        start = len(self.events)
        for _ in range(frames):
            self.step({})
        return self.events[start:]

    def time(self) -> float:
        """pts of the next frame."""
        return self.index / self.fps


def line(a: tuple[float, float], b: tuple[float, float], n: int) -> list[tuple[float, float]]:
    """n positions from a to b, both included."""
    return [(a[0] + (b[0] - a[0]) * k / (n - 1), a[1] + (b[1] - a[1]) * k / (n - 1)) for k in range(n)]


@pytest.fixture
def scene():
    return Scene


@pytest.fixture
def path():
    return line
