"""A scenario: the scene, the actors, the clip length and the named regions (lines, zones) its pipelines use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.features.synth.actors import Actor
from workbench.features.synth.scene import FPS, HEIGHT, WIDTH


@dataclass(frozen=True)
class Region:
    """A counting line (`kind="line"`, two points: start, end) or a zone (`kind="polygon"`, three or more points)."""

    name: str
    kind: str
    points: tuple[tuple[float, float], ...]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "points": [list(p) for p in self.points]}


@dataclass(frozen=True)
class Scenario:
    """Everything needed to render a clip and compute its ground truth (appearance also depends on the seed)."""

    name: str
    description: str
    duration: float  # seconds
    actors: tuple[Actor, ...]
    regions: tuple[Region, ...] = ()
    fps: float = FPS
    size: tuple[int, int] = (WIDTH, HEIGHT)

    @property
    def frame_count(self) -> int:
        return round(self.duration * self.fps)

    def times(self) -> np.ndarray:
        """Presentation time of every frame: frame i is shown at i / fps seconds."""
        return np.arange(self.frame_count, dtype=np.float64) / self.fps

    def region(self, name: str) -> Region:
        return next(r for r in self.regions if r.name == name)
