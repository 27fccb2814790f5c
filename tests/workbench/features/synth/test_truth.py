"""Ground truth: directions agree with supervision's LineZone, zones/dwell/stops have the planned times."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv

from workbench.features.synth import SCENARIOS, compute_truth, event_counts, get, min_gap
from workbench.features.synth.actors import Actor, Waypoint
from workbench.features.synth.scenario import Region, Scenario
from workbench.features.synth.truth import boxes_at


def _one(path, regions, duration=6.0, cls="car") -> dict:
    return compute_truth(Scenario("t", "", duration, (Actor(1, cls, tuple(path), start=0.2),), tuple(regions)))


def _linezone_counts(truth: dict, region: str) -> tuple[int, int]:
    """Feed the truth boxes to supervision's LineZone (bottom-centre anchor) and return (in, out)."""
    (sx, sy), (ex, ey) = truth["regions"][region]["points"]
    zone = sv.LineZone(sv.Point(sx, sy), sv.Point(ex, ey), triggering_anchors=[sv.Position.BOTTOM_CENTER])
    for f in range(truth["frames"]):
        rows = boxes_at(truth, f)
        if not rows:
            continue
        zone.trigger(sv.Detections(xyxy=np.array([r[2] for r in rows], np.float32),
                                   tracker_id=np.array([r[0] for r in rows]), class_id=np.zeros(len(rows), int)))
    return zone.in_count, zone.out_count


@pytest.mark.parametrize(("path", "line", "direction"), [
    ([Waypoint(-40, 200, 150), Waypoint(680, 200)], ((320, 100), (320, 300)), "in"),  # vertical down: right = in
    ([Waypoint(680, 200, 150), Waypoint(-40, 200)], ((320, 100), (320, 300)), "out"),
    ([Waypoint(300, 330, 100), Waypoint(300, 40)], ((100, 180), (500, 180)), "in"),  # left-to-right: up = in
    ([Waypoint(300, 40, 100), Waypoint(300, 330)], ((100, 180), (500, 180)), "out"),
])
def test_line_direction_matches_supervision_linezone(path, line, direction):
    truth = _one(path, [Region("l", "line", line)])
    crossings = [e for e in truth["events"] if e["type"] == "line_crossing"]
    assert [e["direction"] for e in crossings] == [direction]
    assert _linezone_counts(truth, "l") == ((1, 0) if direction == "in" else (0, 1))


def test_passing_beyond_the_end_of_a_line_is_not_a_crossing():
    truth = _one([Waypoint(-40, 330, 150), Waypoint(680, 330)], [Region("l", "line", ((320, 100), (320, 300)))])
    assert not [e for e in truth["events"] if e["type"] == "line_crossing"]


def test_zone_visit_gives_enter_exit_and_dwell_at_the_planned_times():
    # 100 px/s along y=200 through a zone spanning x 200..400: inside for 2 s, entering 2.4 s after the start
    zone = Region("z", "polygon", ((200, 150), (400, 150), (400, 250), (200, 250)))
    truth = _one([Waypoint(-40, 200, 100), Waypoint(680, 200)], [zone], duration=8.0)
    by_type = {e["type"]: e for e in truth["events"]}
    assert set(by_type) == {"zone_enter", "zone_exit", "dwell"}
    assert by_type["zone_enter"]["time"] == pytest.approx(0.2 + 2.4, abs=0.05)
    assert by_type["zone_exit"]["time"] == pytest.approx(0.2 + 4.4, abs=0.05)
    assert by_type["dwell"]["value"] == pytest.approx(2.0, abs=0.05)
    assert by_type["dwell"]["end_frame"] == by_type["zone_exit"]["frame"]


def test_stop_inside_a_zone_has_its_planned_duration_and_the_zone_name():
    zone = Region("z", "polygon", ((200, 150), (400, 150), (400, 250), (200, 250)))
    truth = _one([Waypoint(-40, 200, 100), Waypoint(300, 200, 100, stop=3.0), Waypoint(680, 200)], [zone],
                 duration=12.0)
    stops = [e for e in truth["events"] if e["type"] == "stopped"]
    assert len(stops) == 1
    assert stops[0]["region"] == "z"
    assert stops[0]["value"] == pytest.approx(3.0, abs=0.05)
    assert stops[0]["time"] == pytest.approx(0.2 + 3.4, abs=0.05)


def test_boxes_are_clipped_to_the_picture_and_only_visible_frames_are_listed():
    truth = _one([Waypoint(-40, 200, 100), Waypoint(100, 200)], [], duration=3.0)
    track = truth["tracks"][0]
    boxes = np.array(track["boxes"])
    assert boxes[:, 0].min() == 0 and boxes[0, 2] > 0  # first listed frame shows at least one column
    assert len(boxes) == track["last_frame"] - track["first_frame"] + 1


def test_traffic_crossings_match_the_planned_paths():
    sc = get("traffic")
    (x0, _), _ = sc.region("count_line").points
    planned_in = sum(1 for a in sc.actors if a.path[0].x < x0 < a.path[-1].x)
    planned_out = sum(1 for a in sc.actors if a.path[-1].x < x0 < a.path[0].x)
    counts = event_counts(compute_truth(sc), type="line_crossing")
    assert counts[("line_crossing", "count_line", "in")] == planned_in > 0
    assert counts[("line_crossing", "count_line", "out")] == planned_out > 0
    assert _linezone_counts(compute_truth(sc), "count_line") == (planned_in, planned_out)


def test_bundled_scenarios_have_the_documented_events():
    fire = compute_truth(get("fire_lane"))
    stops = sorted(e["value"] for e in fire["events"] if e["type"] == "stopped" and e["region"] == "fire_lane")
    assert stops == pytest.approx([3.0, 8.0, 9.0], abs=0.1)
    muck = compute_truth(get("muck_truck"))
    assert event_counts(muck, type="zone_exit", **{"class": "muck_truck"})[("zone_exit", "site_gate", "")] == 3
    zone = compute_truth(get("restricted_zone"))
    assert event_counts(zone, type="zone_enter")[("zone_enter", "restricted", "")] == 2


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_actors_never_come_close_to_each_other(name):
    assert min_gap(get(name)) >= 10


def test_every_event_has_the_documented_fields():
    keys = {"type", "frame", "time", "track_id", "class", "region", "direction", "value", "end_frame", "end_time"}
    for name in SCENARIOS:
        truth = compute_truth(get(name))
        assert {"version", "scenario", "seed", "fps", "size", "frames", "regions", "tracks", "events"} <= set(truth)
        for event in truth["events"]:
            assert set(event) == keys
            assert event["time"] == pytest.approx(event["frame"] / truth["fps"], abs=1e-3)


def test_unknown_scenario_is_a_user_error_naming_the_choices():
    from workbench.core.errors import WorkbenchError

    with pytest.raises(WorkbenchError) as err:
        get("trafic")
    problem = err.value.problems[0]
    assert problem.code == "synth_unknown_scenario" and problem.field == "scenario"
    assert "traffic" in problem.params["choices"]
