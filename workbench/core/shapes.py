"""Points and polygons in camera-image pixels, as block settings: the one definition every block that takes a zone,
region or line uses (plugins too), with the limits a pipeline from another district must stay within."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import AfterValidator, Field

# The upper bound keeps supervision's zone mask (width x height bytes, built per zone and stream) small; 10000 covers
# an 8K camera image.
MAX_COORD = 10000
# Corners of one polygon: zones are drawn by clicking corners on a frame (the bundled ones have 4-6); 100 leaves room
# for a traced kerb or a curved lane and keeps the settings table, the overlay and the pipeline file small.
MAX_POLYGON_POINTS = 100

Coord = Annotated[float, Field(ge=0, le=MAX_COORD)]
Point = tuple[Coord, Coord]


def _check_polygon(points: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
    """A polygon must enclose an area (three points on one line do not)."""
    xy = np.asarray(points, dtype=float)
    area = 0.5 * abs(np.dot(xy[:, 0], np.roll(xy[:, 1], 1)) - np.dot(xy[:, 1], np.roll(xy[:, 0], 1)))
    if area < 1.0:
        raise ValueError("the polygon encloses no area: draw at least 3 corners that are not on one line")
    return points


Polygon = Annotated[tuple[Point, ...], Field(min_length=3, max_length=MAX_POLYGON_POINTS),
                    AfterValidator(_check_polygon)]
