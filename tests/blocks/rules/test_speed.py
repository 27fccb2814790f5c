import pytest
from pydantic import ValidationError

from blocks.rules.speed import SpeedEstimate

ROAD = [(0, 100), (640, 100), (640, 300), (0, 300)]


def rule(**settings) -> SpeedEstimate:
    cfg = {"pixels_per_meter": 10.0, "limit_kmh": 50.0, "window_seconds": 1.0, **settings}
    return SpeedEstimate(SpeedEstimate.Config(**cfg), "speed1")


def drive(x0, y, px_per_frame, frames):
    return [(x0 + px_per_frame * k, y) for k in range(frames)]


def test_a_fast_car_raises_one_speeding_event_with_its_speed(scene):
    # 10 px per frame at 25 fps = 250 px/s = 25 m/s = 90 km/h.
    events = scene(rule(name="main st")).run({1: drive(0, 200, 10, 60)})
    assert [(e.type, e.track_id, e.region) for e in events] == [("speeding", 1, "main st")]
    assert events[0].value == pytest.approx(90.0, rel=0.01)
    assert events[0].extra["limit_kmh"] == 50.0
    assert events[0].frame == 25  # the first frame with a whole second of motion behind it


def test_a_car_below_the_limit_is_fine(scene):
    assert scene(rule()).run({1: drive(0, 200, 4, 100)}) == []  # 36 km/h


def test_speed_uses_frame_times_so_missing_frames_and_other_fps_do_not_matter(scene):
    gappy = [p if k % 3 else None for k, p in enumerate(drive(0, 200, 10, 80))]  # tracker misses every third frame
    events = scene(rule()).run({1: gappy})
    assert len(events) == 1 and events[0].value == pytest.approx(90.0, rel=0.02)
    slow_fps = scene(rule(), fps=10).run({1: drive(0, 200, 25, 30)})  # 250 px/s at 10 fps
    assert len(slow_fps) == 1 and slow_fps[0].value == pytest.approx(90.0, rel=0.01)


def test_pixels_per_meter_calibrates(scene):
    events = scene(rule(pixels_per_meter=20.0, limit_kmh=40.0)).run({1: drive(0, 200, 10, 60)})
    assert events[0].value == pytest.approx(45.0, rel=0.01)


def test_only_inside_the_zone(scene):
    outside = drive(0, 50, 10, 60)  # y=50: above the road zone
    inside = drive(0, 200, 10, 60)
    events = scene(rule(polygon=ROAD)).run({1: outside, 2: inside})
    assert [e.track_id for e in events] == [2]


def test_once_per_track_and_class_filter(scene):
    events = scene(rule(classes=["car"])).run({1: drive(0, 150, 10, 60), 2: drive(0, 250, 12, 60),
                                               3: drive(0, 200, 12, 60)},
                                              classes={1: "car", 2: "car", 3: "bus"})
    assert sorted(e.track_id for e in events) == [1, 2]


def test_a_fresh_start_forgets_the_motion(scene):
    block = rule()
    scene(block).run({1: drive(0, 200, 10, 20)})
    s = scene(block)
    assert s.run({1: drive(200, 200, 10, 20)}) == []  # less than a window of motion in this stream


def test_calibration_must_be_positive():
    with pytest.raises(ValidationError):
        SpeedEstimate.Config(pixels_per_meter=0)
