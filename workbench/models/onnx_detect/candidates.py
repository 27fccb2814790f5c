"""What a decoder hands to post-processing, and how a decoder says a file's outputs do not fit its format."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Candidates:
    """Boxes before NMS: xyxy in the model's input pixels (float32), best-class score, class id (int64)."""

    xyxy: np.ndarray
    scores: np.ndarray
    class_id: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)


class LayoutMismatch(ValueError):
    """A model's outputs do not fit the format it was given as: what it has and what was expected."""

    def __init__(self, found: str, expected: str, found_classes: int | None = None) -> None:
        super().__init__(f"outputs {found}; expected {expected}")
        self.found = found
        self.expected = expected
        self.found_classes = found_classes  # set when only the number of classes is wrong
