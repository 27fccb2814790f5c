import numpy as np
import pytest
from pydantic import ValidationError

from blocks.rules.wrong_way import WrongWay

LANE = [(200, 0), (400, 0), (400, 360), (200, 360)]


def rule(**settings) -> WrongWay:
    return WrongWay(WrongWay.Config(**{"expected_direction": (0, 1), **settings}), "way1")  # traffic goes down


def test_driving_up_a_down_lane_is_wrong_way_once(scene, path):
    events = scene(rule(name="lane 1")).run({1: path((300, 340), (300, 20), 81)})  # 4 px per frame upwards
    assert [(e.type, e.track_id, e.region) for e in events] == [("wrong_way", 1, "lane 1")]
    assert events[0].value == pytest.approx(180.0, abs=1.0)


def test_right_way_sideways_and_parked_are_fine(scene, path):
    rng = np.random.default_rng(0)
    events = scene(rule()).run({
        1: path((300, 20), (300, 340), 81),  # the right way
        2: path((100, 200), (500, 220), 81),  # across the lane, ~87 degrees off
        3: [(250 + rng.uniform(-4, 4), 100 + rng.uniform(-4, 4)) for _ in range(81)],  # parked, box jitter
    })
    assert events == []


def test_angle_tolerance(scene, path):
    diagonal_back = path((300, 300), (100, 100), 51)  # up and left: 135 degrees from "down"
    assert len(scene(rule(max_angle_deg=120)).run({1: diagonal_back})) == 1
    assert scene(rule(max_angle_deg=150)).run({1: diagonal_back}) == []


def test_only_inside_the_zone(scene, path):
    events = scene(rule(polygon=LANE)).run({1: path((100, 340), (100, 20), 81), 2: path((300, 340), (300, 20), 81)})
    assert [e.track_id for e in events] == [2]


def test_class_filter(scene, path):
    up = path((300, 340), (300, 20), 81)
    events = scene(rule(classes=["car"])).run({1: up, 2: [(x + 50, y) for x, y in up]},
                                              classes={1: "person", 2: "car"})
    assert [e.track_id for e in events] == [2]


def test_a_fresh_start_forgets(scene, path):
    block = rule()
    scene(block).run({1: path((300, 340), (300, 320), 6)})
    assert scene(block).run({1: path((300, 315), (300, 300), 4)}) == []  # 15 px here: under min_displacement_px


def test_expected_direction_must_be_a_direction():
    with pytest.raises(ValidationError):
        WrongWay.Config(expected_direction=(0, 0))
