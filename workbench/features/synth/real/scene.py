"""A real-pixel scene: the drawn generator's `Scenario` (paths, regions, fps, size) plus the cut-out playing each
actor, in the view of vtest.avi (768x576; a street junction seen from a first floor).

Perspective: an upright object standing at (x, y) is `px_per_metre(x, y)` pixels per metre tall. The plane was
fitted to the walkers of vtest.avi (671 foreground blobs: blob height against foot point, least squares, for
people of 1.75 m). Speeds are given in metres per second and turned into pixels per second where the actor is, so
a car slows down on screen as it drives away from the camera.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from workbench.features.synth.actors import Actor, Waypoint
from workbench.features.synth.scenario import Scenario

WIDTH, HEIGHT, FPS = 768, 576, 25.0
SEGMENT_PX = 16.0  # paths are cut into pieces at most this long, each with its own pixel speed

Point = tuple[float, float]


def px_per_metre(x: float | np.ndarray, y: float | np.ndarray) -> float | np.ndarray:
    """Pixels per metre of height of an object standing at (x, y) (fitted to vtest.avi's walkers)."""
    return (11.08 + 0.0084 * np.asarray(x) + 0.2455 * np.asarray(y)) / 1.75


@dataclass(frozen=True)
class Cast:
    """Who plays an actor: a cut-out of the library, mirrored or not (None: vehicles face where they first drive
    and keep facing so when they reverse; people turn to where they walk), a hue rotation in degrees, a brightness
    gain and a contact shadow (vehicles)."""

    cutout: str
    mirror: bool | None = None
    hue: float = 0.0
    gain: float = 1.0
    shadow: bool = False
    height_m: float | None = None  # None: the cut-out's own


@dataclass(frozen=True)
class RealScene:
    """A scenario whose actors are played by real cut-outs (`casts` by actor id)."""

    scenario: Scenario
    casts: Mapping[int, Cast] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.scenario.name


def _lerp(p: Point, q: Point, f: float) -> Point:
    return (p[0] + (q[0] - p[0]) * f, p[1] + (q[1] - p[1]) * f)


def route(aid: int, cls: str, points: Sequence[Point], speed: float, start: float = 0.0,
          stops: Mapping[int, float] | None = None, tempo: float = 1.0) -> Actor:
    """An actor whose foot follows `points` at `speed` m/s (pixel speed from the perspective), waiting
    `stops[i]` seconds on arrival at `points[i]`. `tempo` > 1 makes everything faster (speeds, start, waits)."""
    stops = stops or {}
    wps: list[Waypoint] = []
    for i, (p, q) in enumerate(itertools.pairwise(points)):
        pieces = max(1, math.ceil(math.dist(p, q) / SEGMENT_PX))
        for k in range(pieces):
            a, mid = _lerp(p, q, k / pieces), _lerp(p, q, (k + 0.5) / pieces)
            px_speed = float(speed * tempo * px_per_metre(*mid))
            wps.append(Waypoint(a[0], a[1], px_speed, stops.get(i, 0.0) / tempo if k == 0 else 0.0))
    last = len(points) - 1
    wps.append(Waypoint(points[-1][0], points[-1][1], 1.0, stops.get(last, 0.0) / tempo))
    return Actor(aid, cls, tuple(wps), start=start / tempo)


def standing(aid: int, cls: str, at: Point, seconds: float, start: float = 0.0) -> Actor:
    """An actor standing at `at` from `start` for `seconds`."""
    return Actor(aid, cls, (Waypoint(at[0], at[1]), Waypoint(at[0], at[1], 1.0, seconds)), start=start)


def y_at(lane: Sequence[Point], x: float) -> float:
    """The lane's y at `x` (lanes here run monotonically in x)."""
    xs, ys = np.array([p[0] for p in lane]), np.array([p[1] for p in lane])
    order = np.argsort(xs)
    return float(np.interp(x, xs[order], ys[order]))


def until(lane: Sequence[Point], x: float) -> list[Point]:
    """The lane from its start up to the point at `x` (included)."""
    first_x = lane[0][0]
    going_right = lane[-1][0] > first_x
    head = [p for p in lane if (p[0] < x if going_right else p[0] > x)]
    return [*head, (x, y_at(lane, x))]


def after(lane: Sequence[Point], x: float) -> list[Point]:
    """The lane from the point at `x` (included) to its end."""
    going_right = lane[-1][0] > lane[0][0]
    return [(x, y_at(lane, x)), *[p for p in lane if (p[0] > x if going_right else p[0] < x)]]


def jitter(seed: int, key: int, low: float, high: float) -> float:
    """A value in [low, high] drawn from (seed, key); seed 0 gives the middle (the canonical clip)."""
    if seed == 0:
        return (low + high) / 2.0
    return float(np.random.default_rng([seed, key]).uniform(low, high))
