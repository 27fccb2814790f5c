import pytest

from blocks.rules.crowding import Crowding

SQUARE = [(100, 100), (400, 100), (400, 300), (100, 300)]
FPS = 25


def rule(**settings) -> Crowding:
    return Crowding(Crowding.Config(**{"polygon": SQUARE, "min_count": 5, "min_seconds": 3.0, **settings}), "crowd1")


def people(n, seconds, x0=120):
    """n people standing inside the zone, 40 px apart."""
    return {tid: [(x0 + 40 * tid, 200)] * int(seconds * FPS) for tid in range(n)}


def test_a_crowd_that_stays_raises_one_event(scene):
    s = scene(rule(name="exit hall"))
    events = s.run({**people(6, 6), 99: [(600, 200)] * 150})  # one more person outside the zone
    assert len(events) == 1
    e = events[0]
    assert (e.type, e.region, e.node, e.value, e.track_id) == ("crowding", "exit hall", "crowd1", 6.0, None)
    assert e.pts == pytest.approx(3.0, abs=0.05)
    assert e.extra["track_ids"] == [0, 1, 2, 3, 4, 5]
    assert e.bbox == pytest.approx((120 - 20, 200 - 80, 120 + 40 * 5 + 20, 200))


def test_too_few_or_too_short_is_no_crowd(scene):
    assert scene(rule()).run(people(4, 6)) == []
    assert scene(rule()).run(people(6, 2.5)) == []


def test_rearms_only_when_the_crowd_really_thins(scene):
    s = scene(rule())
    s.run(people(6, 4))
    s.run({**people(4, 0.04), 5: [None]})  # one frame where two people were missed: same episode
    s.run(people(6, 4))
    assert len(s.events) == 1
    s.run(people(2, 1))  # the crowd thins out for a second
    s.run(people(6, 4))
    assert len(s.events) == 2


def test_class_filter(scene):
    crowd = people(6, 4)
    names = {tid: "person" if tid < 3 else "car" for tid in crowd}
    assert scene(rule(classes=["person"])).run(crowd, classes=names) == []
    assert len(scene(rule(classes=["person"], min_count=3)).run(crowd, classes=names)) == 1


def test_a_fresh_start_forgets(scene):
    block = rule()
    scene(block).run(people(6, 2))
    assert scene(block).run(people(6, 2)) == []
