import pytest
from pydantic import ValidationError

from blocks.rules.zone_enter_exit import ZoneEnterExit

SQUARE = [(100, 100), (300, 100), (300, 300), (100, 300)]


def rule(**settings) -> ZoneEnterExit:
    return ZoneEnterExit(ZoneEnterExit.Config(**{"polygon": SQUARE, **settings}), "zone1")


def test_walking_through_raises_enter_then_exit_with_time_inside(scene, path):
    # 5 px per frame at 25 fps: inside from x=100 to x=300 = 40 frames = 1.6 s.
    events = scene(rule(name="plaza")).run({1: path((50, 200), (350, 200), 61)})
    assert [(e.type, e.direction, e.region, e.node) for e in events] == [
        ("zone_enter", "in", "plaza", "zone1"), ("zone_exit", "out", "plaza", "zone1")]
    enter, exit_ = events
    assert enter.value is None and exit_.value == pytest.approx(1.6, abs=0.1)
    assert enter.track_id == exit_.track_id == 1 and enter.class_name == "car"
    assert enter.frame < exit_.frame and exit_.trajectory[-1] == (315.0, 200.0)  # where it was when it left


def test_jitter_on_the_border_does_not_flap(scene, path):
    come_in = path((50, 200), (110, 200), 13)
    border = [(100 + (3 if k % 2 else -3), 200) for k in range(60)]  # straddles x=100 every other frame
    assert [e.type for e in scene(rule()).run({1: come_in + border})] == ["zone_enter"]
    # Without hysteresis every side change counts: the setting is what prevents flapping.
    assert len(scene(rule(min_frames=1)).run({1: come_in + border})) > 10


def test_a_track_first_seen_inside(scene, path):
    appears_inside = path((200, 200), (400, 200), 41)
    assert [e.type for e in scene(rule()).run({1: appears_inside})] == ["zone_exit"]
    assert [e.type for e in scene(rule(count_initial=True)).run({1: appears_inside})] == ["zone_enter", "zone_exit"]


def test_only_the_chosen_events(scene, path):
    through = path((50, 200), (350, 200), 61)
    assert [e.type for e in scene(rule(events=["exit"])).run({1: through})] == ["zone_exit"]
    assert [e.type for e in scene(rule(events=["enter"])).run({1: through})] == ["zone_enter"]


def test_each_visit_counts(scene, path):
    twice = (path((50, 200), (350, 200), 61) + path((350, 200), (50, 200), 61))
    events = scene(rule()).run({1: twice})
    assert [e.type for e in events] == ["zone_enter", "zone_exit", "zone_enter", "zone_exit"]


def test_class_filter_and_several_tracks(scene, path):
    events = scene(rule(classes=["person", "bicycle"])).run(
        {1: path((50, 150), (350, 150), 61), 2: path((50, 250), (350, 250), 61), 3: path((200, 50), (200, 350), 61)},
        classes={1: "person", 2: "car", 3: "bicycle"})
    assert sorted((e.track_id, e.type) for e in events) == [(1, "zone_enter"), (1, "zone_exit"), (3, "zone_enter"),
                                                            (3, "zone_exit")]


def test_class_names_ignore_case(scene, path):
    events = scene(rule(classes=["car"])).run({1: path((50, 150), (350, 150), 61), 2: path((50, 250), (350, 250), 61)},
                                              classes={1: "Car", 2: "person"})
    assert sorted((e.track_id, e.type, e.class_name) for e in events) == [(1, "zone_enter", "Car"),
                                                                          (1, "zone_exit", "Car")]


def test_a_fresh_start_forgets_who_is_inside(scene, path):
    block = rule()
    assert [e.type for e in scene(block).run({1: path((50, 200), (200, 200), 31)})] == ["zone_enter"]
    # A new stream: the same track id seen outside is not an exit, the rule does not remember it was inside.
    assert scene(block).run({1: path((400, 200), (450, 200), 20)}) == []


def test_tracks_not_seen_for_a_while_are_forgotten(scene, path):
    s = scene(rule(forget_after=1.0))
    s.run({tid: path((50, 100 + 10 * tid), (200, 100 + 10 * tid), 10) for tid in range(1, 8)})
    assert len(s.state.tracks) == 7
    s.idle(30)
    assert len(s.state.tracks) == 0


def test_a_polygon_needs_an_area():
    with pytest.raises(ValidationError):
        ZoneEnterExit.Config(polygon=[(0, 0), (100, 100)])
    with pytest.raises(ValidationError):
        ZoneEnterExit.Config(polygon=[(0, 0), (50, 50), (100, 100)])


def test_overlay_is_the_zone():
    (overlay,) = rule(name="plaza").overlays()
    assert (overlay.shape, overlay.points, overlay.label) == ("polygon", tuple(SQUARE), "plaza")
