"""The report: JSON for the app, flat metrics for MLflow, a table for the CLI."""

from __future__ import annotations

import json

import pytest

from workbench.features.evaluation.events import TimedEvent, evaluate_by_type
from workbench.features.evaluation.report import EventReport, metric_key


@pytest.fixture
def report() -> EventReport:
    truth = [TimedEvent("line_crossing", 1.0, "count_line", "in"),
             TimedEvent("line_crossing", 5.0, "count_line", "out"),
             TimedEvent("line_crossing", 9.0, "count_line", "out")]
    predicted = [TimedEvent("line_crossing", 1.2, "count_line", "in", node="count_line"),
                 TimedEvent("line_crossing", 5.1, "count_line", "out", node="count_line"),
                 TimedEvent("line_crossing", 7.0, "count_line", "in", node="count_line")]
    stops = evaluate_by_type("park", [TimedEvent("stopped", 11.0, "lane", duration_s=6.0)],
                             [TimedEvent("stopped", 10.5, "lane", duration_s=6.5)], 1.0)
    return EventReport(pipeline="p", clip="c.mp4", truth="t.json", tolerance_s=1.0,
                       groups=evaluate_by_type("count_line", predicted, truth, 1.0) + stops)


def test_flat_metrics_name_rule_type_and_measure(report):
    m = report.metrics()
    assert m["events.count_line.line_crossing.tp"] == 2.0
    assert m["events.count_line.line_crossing.precision"] == pytest.approx(2 / 3)
    assert m["events.count_line.line_crossing.count_error"] == 0.0
    assert m["events.count_line.line_crossing.count_error.in"] == 1.0
    assert m["events.count_line.line_crossing.count_error.out"] == -1.0
    assert m["events.count_line.line_crossing.latency_mean_s"] == pytest.approx(0.15)
    assert m["events.count_line.line_crossing.latency_max_s"] == pytest.approx(0.2)
    assert m["events.park.stopped.duration_error_mean_s"] == pytest.approx(-0.5)
    assert m["events.total.tp"] == 3.0 and m["events.total.fp"] == 1.0 and m["events.total.fn"] == 1.0
    assert all(isinstance(v, float) for v in m.values())


def test_metric_names_only_use_characters_mlflow_accepts():
    assert metric_key("events", "Kamera 1:Tor", "zone_exit", "f1") == "events.Kamera 1_Tor.zone_exit.f1"
    assert metric_key("events", "东门", "f1") == "events.__.f1"


def test_json_report_lists_every_match_and_error(report):
    data = json.loads(report.to_json())
    rule = next(r for r in data["rules"] if r["node"] == "count_line")
    assert (rule["tp"], rule["fp"], rule["fn"]) == (2, 1, 1)
    assert [e["time_s"] for e in rule["false_positives"]] == [7.0]
    assert [e["time_s"] for e in rule["false_negatives"]] == [9.0]
    assert data["totals"]["f1"] == pytest.approx(0.75)


def test_text_table_has_one_line_per_rule_and_type(report):
    text = report.format_text("en")
    assert "3/3 (+0)" in text.splitlines()[2] and text.splitlines()[2].startswith("count_line")
    assert text.splitlines()[3].startswith("park")
