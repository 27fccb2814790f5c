import pytest

from blocks.rules.dwell import DwellTime

SQUARE = [(100, 100), (300, 100), (300, 300), (100, 300)]
FPS = 25


def rule(**settings) -> DwellTime:
    return DwellTime(DwellTime.Config(**{"polygon": SQUARE, "min_seconds": 4.0, **settings}), "dwell1")


def stay(point, seconds):
    return [point] * int(seconds * FPS)


def test_staying_long_enough_raises_one_dwell_event(scene):
    s = scene(rule(name="bench"))
    events = s.run({1: stay((50, 200), 1) + stay((200, 200), 10)})  # enters at 1.0 s, stays 10 s
    assert [(e.type, e.track_id, e.region, e.node) for e in events] == [("dwell", 1, "bench", "dwell1")]
    assert events[0].value == pytest.approx(4.0, abs=0.05)
    assert events[0].pts == pytest.approx(5.0, abs=0.05)


def test_passing_through_is_not_dwelling(scene, path):
    assert scene(rule()).run({1: path((50, 200), (350, 200), 76)}) == []  # 3 s crossing


def test_once_per_visit(scene):
    visits = stay((200, 200), 5) + stay((400, 200), 1) + stay((200, 200), 5)
    events = scene(rule()).run({1: visits})
    assert [e.type for e in events] == ["dwell", "dwell"]
    assert [e.value for e in events] == pytest.approx([4.0, 4.0], abs=0.05)


def test_border_jitter_does_not_restart_the_clock(scene):
    # Standing on the border: seen outside one frame in four (x=97 vs x=103).
    jitter = [(97 if k % 4 == 0 else 103, 200) for k in range(6 * FPS)]
    events = scene(rule()).run({1: stay((50, 200), 1) + jitter})
    assert len(events) == 1 and events[0].pts == pytest.approx(1.0 + 4.0, abs=0.1)


def test_tracks_are_timed_separately_and_classes_filtered(scene):
    s = scene(rule(classes=["person"]))
    events = s.run({1: stay((200, 200), 6), 2: stay((50, 200), 2) + stay((150, 150), 6), 3: stay((250, 250), 6)},
                   classes={1: "person", 2: "person", 3: "car"})
    assert [(e.track_id, round(e.pts, 1)) for e in events] == [(1, 4.0), (2, 6.0)]


def test_a_fresh_start_forgets_visits(scene):
    block = rule()
    first = scene(block)
    first.run({1: stay((200, 200), 3)})
    second = scene(block)
    events = second.run({1: stay((200, 200), 3)})
    assert events == []  # 3 s in each stream: the second stream does not add the first one's time


def test_forget_after_bounds_memory(scene):
    s = scene(rule(forget_after=2.0))
    s.run({tid: stay((120 + 10 * tid, 200), 0.5) for tid in range(1, 10)})
    assert len(s.state.tracks) == 9
    s.idle(2 * FPS + 5)
    assert len(s.state.tracks) == 0
