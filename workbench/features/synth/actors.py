"""Actors of a synthetic clip: a class, a size, a colour and a path of waypoints (with speeds and optional stops).

Positions are the actor's bottom-centre point (where it touches the ground), in pixels. The box drawn, and recorded
as truth, is `w` x `h` pixels standing on that point, rounded to whole pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Default size (w, h) in pixels by class; vehicles seen from the side, people tall and narrow.
SIZES: dict[str, tuple[int, int]] = {
    "car": (58, 28),
    "van": (70, 32),
    "truck": (92, 36),
    "muck_truck": (96, 38),
    "bus": (124, 40),
    "person": (14, 40),
}
VEHICLES = frozenset({"car", "van", "truck", "muck_truck", "bus"})


@dataclass(frozen=True)
class Waypoint:
    """A point on the path. `speed` (px/s) is used to travel from here to the next waypoint; on arrival here the
    actor first waits `stop` seconds."""

    x: float
    y: float
    speed: float = 100.0
    stop: float = 0.0


@dataclass(frozen=True)
class Actor:
    """One moving object: it appears at `start` seconds at the first waypoint and follows the path to the last one.

    `colour` is BGR; `None` lets the renderer pick one from the seeded palette.
    """

    id: int
    cls: str
    path: tuple[Waypoint, ...]
    start: float = 0.0
    size: tuple[int, int] | None = None
    colour: tuple[int, int, int] | None = None
    stops: tuple[tuple[float, float], ...] = field(default=(), init=False)  # filled in __post_init__: (t0, t1)

    def __post_init__(self) -> None:
        if len(self.path) < 2:
            raise ValueError(f"actor {self.id}: a path needs at least two waypoints")
        t, stops = self.start, []
        for i, wp in enumerate(self.path):
            if wp.stop > 0 and i > 0:
                stops.append((t, t + wp.stop))
                t += wp.stop
            if i + 1 < len(self.path):
                nxt = self.path[i + 1]
                t += float(np.hypot(nxt.x - wp.x, nxt.y - wp.y)) / wp.speed
        object.__setattr__(self, "stops", tuple(stops))

    @property
    def wh(self) -> tuple[int, int]:
        return self.size or SIZES[self.cls]

    @property
    def is_vehicle(self) -> bool:
        return self.cls in VEHICLES

    def timeline(self) -> tuple[np.ndarray, np.ndarray]:
        """Knot times (k,) and positions (k, 2): the piecewise-linear motion, stops included as repeated points."""
        times, points = [self.start], [(self.path[0].x, self.path[0].y)]
        t = self.start
        for i, wp in enumerate(self.path):
            if wp.stop > 0 and i > 0:
                t += wp.stop
                times.append(t)
                points.append((wp.x, wp.y))
            if i + 1 < len(self.path):
                nxt = self.path[i + 1]
                t += float(np.hypot(nxt.x - wp.x, nxt.y - wp.y)) / wp.speed
                times.append(t)
                points.append((nxt.x, nxt.y))
        return np.asarray(times, np.float64), np.asarray(points, np.float64)

    @property
    def end(self) -> float:
        return float(self.timeline()[0][-1])

    def positions(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bottom-centre points (n, 2) at `times` and a mask of the times when the actor is on its path."""
        kt, kp = self.timeline()
        active = (times >= kt[0]) & (times <= kt[-1])
        x = np.interp(times, kt, kp[:, 0])
        y = np.interp(times, kt, kp[:, 1])
        return np.stack([x, y], axis=1), active

    def boxes(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Whole-pixel boxes (n, 4) x1, y1, x2, y2 (x2, y2 exclusive) at `times`, plus the on-path mask."""
        pos, active = self.positions(times)
        w, h = self.wh
        x1 = np.round(pos[:, 0] - w / 2.0)
        y2 = np.round(pos[:, 1])
        return np.stack([x1, y2 - h, x1 + w, y2], axis=1).astype(np.int64), active
