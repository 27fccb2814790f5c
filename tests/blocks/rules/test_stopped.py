import numpy as np
import pytest

from blocks.rules.stopped import StoppedObject

NO_PARKING = [(100, 100), (400, 100), (400, 300), (100, 300)]
FPS = 25


def rule(**settings) -> StoppedObject:
    cfg = {"polygon": NO_PARKING, "min_seconds": 5.0, "max_movement_px": 8.0, **settings}
    return StoppedObject(StoppedObject.Config(**cfg), "park1")


def parked(point, seconds, seed=0, noise=2.0):
    """A parked car whose box jitters by up to `noise` pixels."""
    rng = np.random.default_rng(seed)
    return [(point[0] + rng.uniform(-noise, noise), point[1] + rng.uniform(-noise, noise))
            for _ in range(int(seconds * FPS))]


def test_a_car_parking_in_the_zone_is_reported_once(scene, path):
    drive_in = path((0, 200), (200, 200), 51)  # 2 s
    events = scene(rule(name="bus stop")).run({1: drive_in + parked((200, 200), 20)})
    assert [(e.type, e.track_id, e.region) for e in events] == [("stopped", 1, "bus stop")]
    assert events[0].value == pytest.approx(5.0, abs=0.1)
    assert events[0].pts == pytest.approx(2.0 + 5.0, abs=0.2)


def test_slow_traffic_is_not_stopped(scene, path):
    crawl = path((100, 200), (400, 200), 12 * FPS)  # 1 px per frame, 25 px/s
    assert scene(rule()).run({1: crawl}) == []


def test_parking_outside_the_zone_is_ignored(scene):
    assert scene(rule()).run({1: parked((500, 200), 10)}) == []


def test_without_a_polygon_the_whole_image_counts(scene):
    assert len(scene(rule(polygon=None)).run({1: parked((500, 200), 10)})) == 1
    assert rule(polygon=None).overlays() == []


def test_a_new_stop_after_driving_off_is_a_new_episode(scene, path):
    trip = parked((150, 200), 8, seed=1) + path((150, 200), (350, 200), 26) + parked((350, 200), 8, seed=2)
    events = scene(rule()).run({1: trip})
    assert len(events) == 2
    assert events[1].bbox[0] == pytest.approx(350 - 20, abs=3)


def test_a_one_frame_box_glitch_does_not_restart_the_clock(scene):
    standing = parked((200, 200), 8)
    for k in range(20, len(standing), 40):  # every 1.6 s the detector returns a box 30 px off for one frame
        standing[k] = (standing[k][0] + 30, standing[k][1])
    events = scene(rule()).run({1: standing})
    assert len(events) == 1 and events[0].pts == pytest.approx(5.0, abs=0.1)


def test_jitter_alone_never_rearms(scene):
    events = scene(rule()).run({1: parked((200, 200), 60, noise=3.0)})
    assert len(events) == 1


def test_class_filter(scene):
    events = scene(rule(classes=["truck"])).run({1: parked((150, 200), 7), 2: parked((300, 200), 7, seed=3)},
                                                 classes={1: "car", 2: "truck"})
    assert [(e.track_id, e.class_name) for e in events] == [(2, "truck")]


def test_a_fresh_start_forgets_how_long_it_stood(scene):
    block = rule()
    scene(block).run({1: parked((200, 200), 4)})
    assert scene(block).run({1: parked((200, 200), 4)}) == []


def test_forget_after_bounds_memory(scene):
    s = scene(rule(forget_after=1.0))
    s.run({tid: parked((120 + 20 * tid, 200), 1, seed=tid) for tid in range(1, 10)})
    assert len(s.state.tracks) == 9
    s.idle(FPS + 2)
    assert len(s.state.tracks) == 0
