"""filters/class@v1: include / exclude by class name."""

from __future__ import annotations

import numpy as np
import pytest
from support import make_detections, make_frame

from blocks.filters.by_class import ClassFilter, ClassFilterConfig


def run(dets, **cfg):
    block = ClassFilter(ClassFilterConfig(**cfg), node_id="cls")
    return block.process(block.start(None), make_frame(), {"detections": dets})["detections"]


@pytest.fixture
def dets():
    d = make_detections([(0, 0, 10, 10), (10, 0, 20, 10), (20, 0, 30, 10), (30, 0, 40, 10)],
                        ["car", "person", "truck", "car"], confidence=[0.9, 0.8, 0.7, 0.6])
    d.data["plate"] = np.array(["A1", "B2", "C3", "D4"])
    return d


def test_empty_settings_keep_everything(dets):
    assert len(run(dets)) == 4


def test_include_keeps_only_listed_classes_with_their_columns(dets):
    out = run(dets, include=["car", "truck"])
    assert list(out.data["class_name"]) == ["car", "truck", "car"]
    assert list(out.data["plate"]) == ["A1", "C3", "D4"]
    assert out.confidence.tolist() == pytest.approx([0.9, 0.7, 0.6])


def test_exclude_drops_listed_classes_and_wins_over_include(dets):
    assert list(run(dets, exclude=["person"]).data["class_name"]) == ["car", "truck", "car"]
    assert list(run(dets, include=["car", "truck"], exclude=["truck"]).data["class_name"]) == ["car", "car"]


def test_names_ignore_case_and_spaces(dets):
    assert list(run(dets, include=[" Car "]).data["plate"]) == ["A1", "D4"]


def test_a_detection_named_Car_is_kept_by_car_and_what_passes_is_worked_out_the_same_way():
    dets = make_detections([(0, 0, 10, 10), (10, 0, 20, 10)], ["Car", "person"])
    assert list(run(dets, include=["car"]).data["class_name"]) == ["Car"]
    assert len(run(dets, exclude=["car "])) == 1
    config = ClassFilterConfig(include=["Car"], exclude=["car"])
    assert ClassFilter.output_classes(config, None) == frozenset()  # what process() lets through: nothing
    assert len(run(dets, include=["Car"], exclude=["car"])) == 0
    assert ClassFilter.output_classes(ClassFilterConfig(include=["CAR"]), frozenset({"Car", "bus"})) == {"Car"}


def test_input_is_not_changed(dets):
    before = dets.xyxy.copy(), list(dets.data["class_name"])
    run(dets, include=["person"])
    assert np.array_equal(dets.xyxy, before[0]) and list(dets.data["class_name"]) == before[1]


def test_empty_frame_and_tracks_pass_through():
    assert len(run(make_detections([]), include=["car"])) == 0
    tracks = make_detections([(0, 0, 5, 5), (5, 5, 9, 9)], ["car", "bus"], tracker_ids=[7, 8],
                             trajectories=[[(1, 2)], [(3, 4), (5, 6)]])
    out = run(tracks, include=["bus"])
    assert out.tracker_id.tolist() == [8]
    assert out.data["trajectory"][0].tolist() == [[3, 4], [5, 6]]
