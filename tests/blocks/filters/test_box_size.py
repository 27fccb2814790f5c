"""filters/box_size@v1: bounds on width, height, area and aspect ratio."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from support import make_detections, make_frame

from blocks.filters.box_size import BoxSizeFilter, BoxSizeFilterConfig

# widths x heights: 10x10 (speck), 100x50 (car), 20x60 (person), 300x300 (huge)
BOXES = [(0, 0, 10, 10), (0, 0, 100, 50), (0, 0, 20, 60), (0, 0, 300, 300)]
NAMES = ["speck", "car", "person", "huge"]


def kept(**cfg) -> list[str]:
    block = BoxSizeFilter(BoxSizeFilterConfig(**cfg), node_id="size")
    dets = make_detections(BOXES, NAMES)
    return list(block.process(None, make_frame(), {"detections": dets})["detections"].data["class_name"])


@pytest.mark.parametrize(("cfg", "expected"), [
    ({}, NAMES),
    ({"min_width": 15}, ["car", "person", "huge"]),
    ({"max_width": 100}, ["speck", "car", "person"]),
    ({"min_height": 50, "max_height": 60}, ["car", "person"]),
    ({"min_area": 1000, "max_area": 10_000}, ["car", "person"]),
    ({"min_aspect": 1.5}, ["car"]),
    ({"max_aspect": 0.5}, ["person"]),
])
def test_bounds(cfg, expected):
    assert kept(**cfg) == expected


def test_min_above_max_is_refused_on_the_max_field():
    with pytest.raises(ValidationError) as err:
        BoxSizeFilterConfig(min_area=500, max_area=100)
    assert err.value.errors()[0]["loc"] == ("max_area",)


def test_input_not_changed_and_columns_kept():
    dets = make_detections(BOXES, NAMES, confidence=[0.1, 0.2, 0.3, 0.4])
    before = dets.xyxy.copy()
    out = BoxSizeFilter(BoxSizeFilterConfig(min_width=15), "size").process(None, make_frame(), {"detections": dets})
    assert np.array_equal(dets.xyxy, before) and len(dets) == 4
    assert out["detections"].confidence.tolist() == pytest.approx([0.2, 0.3, 0.4])


def test_empty_frame():
    block = BoxSizeFilter(BoxSizeFilterConfig(min_area=5), "size")
    assert len(block.process(None, make_frame(), {"detections": make_detections([])})["detections"]) == 0
