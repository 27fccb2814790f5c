"""What each rule of a pipeline is expected to report, from its own settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.registry import default_registry
from workbench.engine.spec import load_spec
from workbench.features.evaluation.events import TimedEvent
from workbench.features.evaluation.expect import expected_events, rule_scopes, unused_truth

PIPELINES = Path(__file__).resolve().parents[4] / "pipelines"


def scope_of(pipeline: str, node: str, **changes):
    spec = load_spec(PIPELINES / f"{pipeline}.yaml")
    if changes:
        spec = spec.with_config(node, **changes)
    return next(s for s in rule_scopes(spec, default_registry()) if s.node == node)


def test_time_windows_are_not_rules_of_their_own():
    spec = load_spec(PIPELINES / "muck_truck_gate.yaml")
    assert [s.node for s in rule_scopes(spec, default_registry())] == ["gate"]


def test_a_stop_rule_expects_long_stops_when_they_reach_its_limit():
    scope = scope_of("fire_lane_parking", "fire_lane")  # min_seconds: 6
    truth = [TimedEvent("stopped", 5.0, "fire_lane", duration_s=9.0, track=1),
             TimedEvent("stopped", 13.0, "fire_lane", duration_s=3.0, track=3),
             TimedEvent("stopped", 2.0, "", duration_s=8.0, track=4)]  # outside the lane
    expected = expected_events(scope, truth)
    assert [(e.time_s, e.duration_s, e.extra["true_duration_s"]) for e in expected] == [(11.0, None, 9.0)]


def test_a_stop_rule_without_a_zone_expects_stops_anywhere_once_each():
    scope = scope_of("fire_lane_parking", "fire_lane", polygon=None, min_seconds=2)
    truth = [TimedEvent("stopped", 5.0, "fire_lane", duration_s=9.0, track=1),
             TimedEvent("stopped", 5.0, "other_zone", duration_s=9.0, track=1),  # the same stop, in two zones
             TimedEvent("stopped", 2.0, "", duration_s=3.0, track=4)]
    expected = expected_events(scope, truth)
    assert [(e.time_s, e.region) for e in expected] == [(4.0, "fire_lane"), (7.0, "fire_lane")]


def test_a_line_rule_set_to_one_direction_expects_only_that_direction():
    truth = [TimedEvent("line_crossing", 1.0, "count_line", "in"),
             TimedEvent("line_crossing", 2.0, "count_line", "out")]
    assert len(expected_events(scope_of("vehicle_count_line", "count_line"), truth)) == 2
    only_in = expected_events(scope_of("vehicle_count_line", "count_line", direction="in"), truth)
    assert [e.direction for e in only_in] == ["in"]


def test_a_zone_rule_expects_only_the_changes_it_reports_and_the_classes_asked_for():
    scope = scope_of("muck_truck_gate", "gate")  # events: [exit]
    truth = [TimedEvent("zone_enter", 1.0, "site_gate", class_name="muck_truck"),
             TimedEvent("zone_exit", 3.0, "site_gate", class_name="muck_truck"),
             TimedEvent("zone_exit", 9.0, "site_gate", class_name="person"),
             TimedEvent("zone_exit", 12.0, "site_gate")]  # no class given: kept
    assert [e.time_s for e in expected_events(scope, truth)] == [3.0, 9.0, 12.0]
    assert [e.time_s for e in expected_events(scope, truth, classes=["muck_truck"])] == [3.0, 12.0]


def test_staff_may_name_the_region_by_node_id_and_limit_the_time_span():
    scope = scope_of("vehicle_count_line", "count_line", name="east_road")
    truth = [TimedEvent("line_crossing", t, region, "in") for t, region in ((1.0, "count_line"), (5.0, "east_road"),
                                                                          (9.0, "west_road"))]
    got = expected_events(scope, truth)
    assert [(e.time_s, e.region) for e in got] == [(1.0, "east_road"), (5.0, "east_road")]  # as the rule writes it
    assert [e.time_s for e in expected_events(scope, truth, start_s=2.0, end_s=8.0)] == [5.0]
    assert unused_truth([scope], truth) == {"line_crossing/west_road": 1}


@pytest.mark.parametrize("min_seconds", [4.0, 7.0])
def test_a_dwell_rule_expects_long_visits_at_entry_plus_its_limit(min_seconds):
    from workbench.features.evaluation.expect import RuleScope

    config = {"name": "square", "min_seconds": min_seconds}
    scope = RuleScope("loiter", "dwell", frozenset({"loiter", "square"}), config)
    truth = [TimedEvent("dwell", 2.0, "square", duration_s=5.0), TimedEvent("zone_enter", 2.0, "square")]
    got = expected_events(scope, truth)
    assert [e.time_s for e in got] == ([6.0] if min_seconds == 4.0 else [])
