"""Which way across a counting line is "in": the one convention the rule, the annotated video and the Build page
share (supervision's LineZone: looking from the line's start to its end on the screen, "in" is a crossing from the
right-hand side to the left-hand side; a line drawn left to right counts objects moving up the image as "in")."""

from __future__ import annotations

import math
from collections.abc import Sequence


def in_normal(start: Sequence[float], end: Sequence[float]) -> tuple[float, float]:
    """Unit vector, in image coordinates (y down), pointing the way an object moves when it crosses "in"."""
    dx, dy = float(end[0]) - float(start[0]), float(end[1]) - float(start[1])
    length = math.hypot(dx, dy) or 1.0
    return dy / length, -dx / length


def in_arrow(start: Sequence[float], end: Sequence[float], length: float) -> tuple[tuple[int, int], tuple[int, int]]:
    """(tail, head) of an arrow across the line's middle showing "in", `length` pixels long."""
    nx, ny = in_normal(start, end)
    mx, my = (float(start[0]) + float(end[0])) / 2, (float(start[1]) + float(end[1])) / 2
    half = length / 2
    return (round(mx - nx * half), round(my - ny * half)), (round(mx + nx * half), round(my + ny * half))
