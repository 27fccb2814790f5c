"""What a source yields: one decoded frame with its position in time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One BGR frame (read-only array), its index in the source, seconds since the start and the clock time."""

    image: np.ndarray
    index: int
    pts: float
    wall_time: datetime
    source: str = ""

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.image.shape[1], self.image.shape[0]


def read_only(image: np.ndarray) -> np.ndarray:
    """Mark a frame's pixels read-only so no block can change what the next block sees."""
    image.flags.writeable = False
    return image
