"""filters/roi@v1: keep or drop detections by where their anchor point lies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from support import make_detections, make_frame

from blocks.filters.roi import RoiFilter, RoiFilterConfig
from workbench.core.block import Overlay, StreamContext

SQUARE = [[100, 100], [300, 100], [300, 300], [100, 300]]
CTX = StreamContext(out_dir=None, source="test", fps=25.0, frame_size=(640, 360))
# inside: fully in; straddle: centre inside, bottom centre below the square; outside: far away
DETS = [(150, 150, 200, 200), (150, 250, 200, 350), (400, 10, 450, 60)]
NAMES = ["inside", "straddle", "outside"]


def kept(**cfg) -> list[str]:
    block = RoiFilter(RoiFilterConfig(polygon=SQUARE, **cfg), node_id="roi")
    out = block.process(block.start(CTX), make_frame(), {"detections": make_detections(DETS, NAMES)})
    return list(out["detections"].data["class_name"])


def test_default_keeps_boxes_standing_in_the_region():
    assert kept() == ["inside"]


def test_anchor_choice_changes_what_counts_as_inside():
    assert kept(anchor="center") == ["inside", "straddle"]


def test_exclude_mode_keeps_the_rest():
    assert kept(mode="exclude") == ["straddle", "outside"]


def test_polygon_needs_three_points_and_known_anchor():
    with pytest.raises(ValidationError):
        RoiFilterConfig(polygon=[[0, 0], [10, 10]])
    with pytest.raises(ValidationError):
        RoiFilterConfig(polygon=SQUARE, anchor="middle")


def test_overlay_and_site_field():
    block = RoiFilter(RoiFilterConfig(polygon=SQUARE), node_id="roi")
    assert block.overlays() == [Overlay(node="roi", shape="polygon", points=tuple(map(tuple, SQUARE)), label="roi")]
    assert RoiFilter.site_fields == ("polygon",)


def test_tracks_keep_ids_and_input_is_not_changed():
    tracks = make_detections(DETS, NAMES, tracker_ids=[1, 2, 3], trajectories=[[(0, 0)], [(1, 1)], [(2, 2)]])
    before = tracks.xyxy.copy()
    block = RoiFilter(RoiFilterConfig(polygon=SQUARE, mode="exclude"), node_id="roi")
    out = block.process(block.start(CTX), make_frame(), {"detections": tracks})["detections"]
    assert out.tracker_id.tolist() == [2, 3]
    assert [t.tolist() for t in out.data["trajectory"]] == [[[1, 1]], [[2, 2]]]
    assert np.array_equal(tracks.xyxy, before) and len(tracks) == 3


def test_empty_frame():
    block = RoiFilter(RoiFilterConfig(polygon=SQUARE), node_id="roi")
    assert len(block.process(block.start(CTX), make_frame(), {"detections": make_detections([])})["detections"]) == 0


@pytest.mark.parametrize(("polygon", "said"), [
    ([[0, 0], [1e6, 0], [1e6, 1e6]], "10000"),  # beyond the coordinate cap (workbench.core.shapes.MAX_COORD)
    ([[0, 0], [100, 100], [200, 200], [50, 50]], "no area"),  # all corners on one line
    ([[10, 10], [10, 10], [10, 10]], "no area"),  # one point
])
def test_a_polygon_out_of_range_or_without_area_is_refused_naming_the_node_and_field(polygon, said):
    from workbench.core.registry import default_registry
    from workbench.engine.spec import load_spec, parse_spec
    from workbench.engine.validate import errors_only, validate

    pipelines = Path(__file__).resolve().parents[3] / "pipelines"
    data = load_spec(pipelines / "vehicle_count_line.yaml").to_dict()
    (node,) = [n for n in data["nodes"] if n["id"] == "vehicles"]
    node.update(type="filters/roi@v1", config={"polygon": polygon})
    problems = [p for p in errors_only(validate(parse_spec(data), default_registry())) if p.node == "vehicles"]
    assert problems and all((p.field or "").startswith("config.polygon") for p in problems)
    assert any(said in p.message("en") for p in problems), [p.message("en") for p in problems]
    with pytest.raises(ValidationError):
        RoiFilterConfig(polygon=polygon)
