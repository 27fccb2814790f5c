"""The matcher: one-to-one within a time tolerance, same direction/region, optimal pairing, scores and errors."""

from __future__ import annotations

import pytest

from workbench.features.evaluation.events import TimedEvent, evaluate_by_type, evaluate_events, match_events


def cross(time_s: float, direction: str = "in", region: str = "count_line") -> TimedEvent:
    return TimedEvent("line_crossing", time_s, region, direction)


def stop(time_s: float, duration_s: float | None) -> TimedEvent:
    return TimedEvent("stopped", time_s, "fire_lane", duration_s=duration_s)


def test_an_event_later_than_the_tolerance_is_a_false_positive_and_a_miss():
    result = evaluate_events([cross(11.2)], [cross(10.0)], tolerance_s=1.0)
    assert (result.tp, result.fp, result.fn) == (0, 1, 1)
    assert result.precision == 0 and result.recall == 0 and result.f1 == 0
    assert result.count_error == 0  # the count is right even though the event is not
    assert result.latency is None


def test_within_a_wider_tolerance_it_is_a_match_with_its_latency():
    result = evaluate_events([cross(11.2)], [cross(10.0)], tolerance_s=1.5)
    assert (result.tp, result.fp, result.fn) == (1, 0, 0)
    assert result.f1 == 1.0
    assert result.latency.mean == pytest.approx(1.2) and result.latency.max == pytest.approx(1.2)


def test_wrong_direction_is_not_a_match():
    result = evaluate_events([cross(10.1, "out")], [cross(10.0, "in")], tolerance_s=1.0)
    assert (result.tp, result.fp, result.fn) == (0, 1, 1)
    assert result.count_error == 0
    assert result.count_error_by_direction == {"in": -1, "out": 1}


def test_other_region_is_not_a_match_but_an_unnamed_one_is():
    assert evaluate_events([cross(10.0, region="other")], [cross(10.0)], 1.0).tp == 0
    assert evaluate_events([cross(10.0, region="")], [cross(10.0)], 1.0).tp == 1
    assert evaluate_events([cross(10.0, direction="")], [cross(10.0)], 1.0).tp == 1


def test_two_predictions_for_one_true_event_are_one_hit_and_one_false_alarm():
    result = evaluate_events([cross(10.3), cross(10.1)], [cross(10.0)], tolerance_s=1.0)
    assert (result.tp, result.fp, result.fn) == (1, 1, 0)
    assert result.matches[0].predicted.time_s == 10.1  # the closer one is the match
    assert result.precision == 0.5 and result.recall == 1.0
    assert result.f1 == pytest.approx(2 / 3)
    assert result.count_error == 1 and result.count_error_by_direction == {"in": 1}


def test_the_assignment_is_optimal_not_greedy():
    # Greedy nearest-first would pair 0.9 with 1.0 and leave 1.9 and 0.0 unmatched; both can be matched.
    matches, fps, fns = match_events([cross(0.9), cross(1.9)], [cross(0.0), cross(1.0)], tolerance_s=1.0)
    assert len(matches) == 2 and fps == [] and fns == []
    assert sorted((m.truth.time_s, m.predicted.time_s) for m in matches) == [(0.0, 0.9), (1.0, 1.9)]


def test_duration_error_of_stops():
    result = evaluate_events([stop(5.5, 8.0), stop(20.2, 4.5)], [stop(5.0, 9.0), stop(20.0, 4.0)], tolerance_s=1.0)
    assert result.tp == 2
    errors = sorted(m.duration_error_s for m in result.matches)
    assert errors == pytest.approx([-1.0, 0.5])
    assert result.duration_error.mean == pytest.approx(-0.25)
    assert result.duration_error.max_abs == pytest.approx(1.0)
    assert result.latency.median == pytest.approx(0.35)


def test_no_duration_error_where_one_side_has_no_duration():
    result = evaluate_events([stop(5.5, None)], [stop(5.0, 9.0)], tolerance_s=1.0)
    assert result.tp == 1 and result.duration_error is None


def test_latency_statistics_are_signed():
    result = evaluate_events([cross(0.5), cross(9.8), cross(20.4)], [cross(0.0), cross(10.0), cross(20.0)], 1.0)
    assert result.latency.mean == pytest.approx(0.7 / 3)
    assert result.latency.median == pytest.approx(0.4)
    assert result.latency.max == pytest.approx(0.5)


def test_nothing_predicted_and_nothing_true_is_perfect_but_a_miss_is_not():
    assert evaluate_events([], [], 1.0).f1 == 1.0
    missed = evaluate_events([], [cross(1.0)], 1.0)
    assert (missed.precision, missed.recall, missed.f1) == (0.0, 0.0, 0.0)
    assert missed.count_error == -1


def test_results_are_split_by_event_type():
    predicted = [TimedEvent("zone_enter", 1.0, "z"), TimedEvent("zone_exit", 5.0, "z")]
    truth = [TimedEvent("zone_enter", 1.2, "z"), TimedEvent("zone_exit", 1.1, "z")]
    groups = {g.type: g for g in evaluate_by_type("gate", predicted, truth, 1.0)}
    assert set(groups) == {"zone_enter", "zone_exit"}
    assert groups["zone_enter"].tp == 1
    assert (groups["zone_exit"].tp, groups["zone_exit"].fp, groups["zone_exit"].fn) == (0, 1, 1)
