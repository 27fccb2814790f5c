from datetime import datetime

import numpy as np
import pytest
from pydantic import ValidationError
from support import make_detections, make_frame

from blocks.rules.line_crossing import LineCrossing
from workbench.core.errors import BlockError

# A horizontal line drawn left to right across the middle of a 640x360 image.
LINE = {"start": (100, 200), "end": (500, 200)}


def rule(**settings) -> LineCrossing:
    return LineCrossing(LineCrossing.Config(**{**LINE, **settings}), "count1")


def test_moving_up_across_a_left_to_right_line_is_in_and_down_is_out(scene, path):
    s = scene(rule(name="gate"))
    up = s.run({1: path((300, 300), (300, 100), 41)})
    down = s.run({2: path((200, 100), (200, 300), 41)})
    assert [(e.track_id, e.direction) for e in up] == [(1, "in")]
    assert [(e.track_id, e.direction) for e in down] == [(2, "out")]
    e = up[0]
    assert (e.type, e.node, e.region, e.class_name, e.source, e.value) == ("line_crossing", "count1", "gate", "car",
                                                                           "test", 1.0)
    # Anchor crossed y=200 at frame 20; it must be seen 3 frames beyond the 8 px dead band: frames 22..24.
    assert 22 <= e.frame <= 25 and e.pts == pytest.approx(e.frame / 25)
    assert datetime.fromisoformat(e.time) == make_frame(e.frame).wall_time
    x, y = s.trajectories[1][e.frame]
    assert e.bbox == pytest.approx((x - 20, y - 80, x + 20, y))
    assert e.trajectory == tuple(tuple(p) for p in s.trajectories[1][: e.frame + 1])


def test_convention_follows_supervision_for_a_line_drawn_top_to_bottom(scene, path):
    # Looking from start (top) to end (bottom) on screen, the right-hand side is the left of the image (smaller x).
    s = scene(LineCrossing(LineCrossing.Config(start=(300, 50), end=(300, 350)), "n"))
    events = s.run({1: path((200, 200), (400, 200), 41)})
    assert [e.direction for e in events] == ["in"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_object_stopping_on_the_line_and_jittering_is_counted_once(scene, path, seed):
    rng = np.random.default_rng(seed)
    approach = path((300, 260), (300, 200), 13)
    jitter = [(300 + rng.normal(0, 2), 200 + rng.normal(0, 3)) for _ in range(250)]  # 10 s standing on the line
    flicker = [(300, 200 + (12 if k % 4 < 2 else -12)) for k in range(100)]  # 2 frames each side, 12 px off
    leave = path((300, 200), (300, 120), 17)
    events = scene(rule()).run({1: approach + jitter + flicker + leave})
    assert [e.direction for e in events] == ["in"]


def test_going_in_then_coming_back_out(scene, path):
    trip = path((300, 300), (300, 100), 41) + path((300, 100), (300, 300), 41)
    assert [e.direction for e in scene(rule()).run({1: trip})] == ["in", "out"]
    assert [e.direction for e in scene(rule(direction="in")).run({1: trip})] == ["in"]
    assert [e.direction for e in scene(rule(direction="out")).run({1: trip})] == ["out"]


def test_each_track_is_reported_once_per_direction(scene, path):
    back_and_forth = (path((300, 300), (300, 100), 21) + path((300, 100), (300, 300), 21)) * 3
    assert [e.direction for e in scene(rule()).run({1: back_and_forth})] == ["in", "out"]


def test_two_tracks_make_two_crossings_with_a_running_count(scene, path):
    s = scene(rule())
    events = s.run({1: path((200, 300), (200, 100), 41), 2: path((400, 320), (400, 120), 41)})
    assert sorted(e.track_id for e in events) == [1, 2]
    assert sorted(e.value for e in events) == [1.0, 2.0]
    assert s.block.finish(s.state) == {"in": 2, "out": 0}


def test_class_filter(scene, path):
    s = scene(rule(classes=["person"]))
    events = s.run({1: path((200, 300), (200, 100), 41), 2: path((400, 300), (400, 100), 41)},
                   classes={1: "car", 2: "person"})
    assert [(e.track_id, e.class_name) for e in events] == [(2, "person")]


def test_class_names_ignore_case_and_spaces_as_in_the_class_filter(scene, path):
    # issue 14: staff write "car" while a model may say "Car"; the class filter already kept it, the rule did not
    s = scene(rule(classes=[" car"]))
    events = s.run({1: path((200, 300), (200, 100), 41), 2: path((400, 300), (400, 100), 41)},
                   classes={1: "Car", 2: "person"})
    assert [(e.track_id, e.class_name) for e in events] == [(1, "Car")]


def test_crossing_beyond_the_end_of_the_line_does_not_count(scene, path):
    assert scene(rule()).run({1: path((560, 300), (560, 100), 41)}) == []


def test_a_track_occluded_while_crossing_is_still_counted(scene, path):
    seen_below = path((300, 300), (300, 230), 8)
    seen_above = path((300, 150), (300, 100), 6)
    events = scene(rule()).run({1: seen_below + [None] * 15 + seen_above})
    assert [e.direction for e in events] == ["in"]


def test_forgotten_tracks_free_their_memory(scene, path):
    s = scene(rule(forget_after=1.0))
    s.run({tid: path((100 + 20 * tid, 300), (100 + 20 * tid, 100), 21) for tid in range(1, 11)})
    assert len(s.state.crossed) == 10
    s.idle(30)  # 1.2 s with nothing seen
    assert len(s.state.crossed) == 0


def test_a_fresh_start_forgets_what_was_counted(scene, path):
    block = rule()
    trip = path((300, 300), (300, 100), 41)
    first, second = scene(block), scene(block)
    assert [e.value for e in first.run({1: trip})] == [1.0]
    assert [e.value for e in second.run({1: trip})] == [1.0]


def test_untracked_detections_are_refused():
    block = rule()
    with pytest.raises(BlockError) as err:
        block.process(block.start(None), make_frame(0), {"tracks": make_detections([[0, 0, 10, 10]])})
    assert err.value.problems[0].code == "rule_needs_tracks" and err.value.problems[0].node == "count1"


def test_a_line_needs_two_different_points():
    with pytest.raises(ValidationError):
        LineCrossing.Config(start=(10, 10), end=(10, 10))


def test_overlay_is_the_line():
    (overlay,) = rule(name="gate").overlays()
    assert (overlay.shape, overlay.points, overlay.label, overlay.node) == ("line", ((100, 200), (500, 200)), "gate",
                                                                            "count1")


@pytest.mark.parametrize("line", [((100, 200), (500, 200)), ((300, 50), (300, 350)), ((500, 300), (150, 80))])
def test_the_in_arrow_shown_to_staff_points_the_way_the_rule_counts_in(scene, path, line):
    """The Build page and the annotated video draw workbench.core.lines.in_arrow: moving along it must count as "in"."""
    from workbench.core.lines import in_arrow

    tail, head = in_arrow(*line, length=200)
    s = scene(LineCrossing(LineCrossing.Config(start=line[0], end=line[1]), "n"))
    assert [e.direction for e in s.run({1: path(tail, head, 41)})] == ["in"]
    assert [e.direction for e in s.run({2: path(head, tail, 41)})] == ["out"]


# -- what real detectors need (issue 15): a dead band that grows with the object, crossings near the line's ends ----
def test_a_long_vehicle_waiting_with_its_front_over_the_line_is_counted_once_when_it_drives_on(scene, path):
    """Bottom centre 12 px past the line for 3 s (a pretrained detector's box of a 180 px car, widened by a person
    next to it): inside the dead band of 10 % of the car's length, so the count comes when the car drives on."""
    s = scene(LineCrossing(LineCrossing.Config(start=(300, 50), end=(300, 350)), "n"), size=(180, 70))
    approach = path((100, 250), (312, 250), 30)
    events = s.run({1: approach + [(312, 250)] * 75})
    assert events == []
    drive_on = s.run({1: path((312, 250), (500, 250), 20)})
    assert [e.direction for e in drive_on] == ["in"]
    assert drive_on[0].frame >= 105  # after the wait, not during it


def test_the_dead_band_alone_counts_the_waiting_vehicle_early(scene, path):
    s = scene(LineCrossing(LineCrossing.Config(start=(300, 50), end=(300, 350), margin_fraction=0.0), "n"),
              size=(180, 70))
    assert [e.frame for e in s.run({1: path((100, 250), (312, 250), 30) + [(312, 250)] * 75})] != []


def test_a_vehicle_coming_round_a_bend_onto_the_line_near_its_end_is_counted(scene, path):
    """First seen beyond the line's end (outside the band supervision's LineZone watches), then through the line
    just inside its end: counted, as the ground truth counts a path through the segment."""
    s = scene(rule(), size=(60, 40))
    bend = path((540, 170), (496, 188), 6) + path((496, 188), (470, 260), 12)
    assert [e.direction for e in s.run({1: bend})] == ["out"]


def test_a_big_box_crossing_close_to_the_end_of_the_line_is_counted(scene, path):
    """A bus 230 px long crossing a vertical line 15 px from its end: its dead band (23 px) reaches past the end,
    which made LineZone skip it."""
    s = scene(LineCrossing(LineCrossing.Config(start=(300, 50), end=(300, 350)), "n"), size=(230, 120))
    assert [e.direction for e in s.run({1: path((100, 335), (500, 335), 41)})] == ["in"]


def test_passing_round_the_end_of_the_line_is_still_not_counted(scene, path):
    s = scene(rule(), size=(60, 40))
    round_the_end = path((480, 260), (540, 200), 10) + path((540, 200), (480, 140), 10)
    assert s.run({1: round_the_end}) == []
