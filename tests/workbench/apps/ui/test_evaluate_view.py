"""The Evaluate page's data: truth beside a clip, the truth editor's rows, report and comparison tables."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from workbench.apps.ui import evaluate_view as view
from workbench.core.errors import WorkbenchError
from workbench.engine.spec import load_spec
from workbench.features.evaluation.detection import ClassMetrics, DetectionComparison, ModelMetrics
from workbench.features.evaluation.events import TimedEvent
from workbench.features.evaluation.replay import evaluate_predictions
from workbench.features.evaluation.truth import GroundTruth, load_truth_file

PIPELINE = Path(__file__).resolve().parents[4] / "pipelines" / "vehicle_count_line.yaml"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from workbench.features.synth import generate

    return generate("demo", tmp_path_factory.mktemp("clip"), seed=0)


def test_the_generators_truth_is_found_beside_the_clip_and_a_copy(synthetic, tmp_path):
    assert view.ClipChoice(synthetic.video).truth_file() == synthetic.truth
    copy = tmp_path / "video.mp4"
    shutil.copy(synthetic.video, copy)
    assert view.ClipChoice(copy).truth_file() is None
    assert view.ClipChoice(copy).expected_truth_file() == tmp_path / "video.truth.json"
    assert view.ClipChoice(copy, originals=(synthetic.video,)).truth_file() == synthetic.truth  # library copy


def test_events_saved_from_the_editor_are_found_beside_the_clip(tmp_path):
    clip = view.ClipChoice(tmp_path / "gate.mp4")
    rows = [{"type": "line_crossing", "region": "count_line", "direction": "in", "time_s": 3.5, "duration_s": None},
            {"type": "stopped", "region": "gate", "direction": "", "time_s": 1.0, "duration_s": 4.0}]
    view.save_rows(rows, clip.staff_truth_file())
    assert clip.truth_file() == tmp_path / "gate.truth.csv"
    assert view.load_rows(clip.truth_file()) == sorted(rows, key=lambda r: r["time_s"])


def test_editor_rows_become_truth_skipping_blank_rows_and_cells():
    nan = float("nan")
    rows = [{"type": "line_crossing", "region": " count_line ", "direction": "out", "time_s": 7.25, "duration_s": nan},
            {"type": None, "region": "", "direction": None, "time_s": nan, "duration_s": nan},  # a fresh empty row
            {"type": "dwell", "region": "yard", "direction": None, "time_s": 2.0, "duration_s": 6.5}]
    truth = view.rows_to_truth(rows)
    assert [(e.type, e.region, e.direction, e.time_s, e.duration_s) for e in truth.events] == [
        ("dwell", "yard", "", 2.0, 6.5), ("line_crossing", "count_line", "out", 7.25, None)]
    assert not math.isnan(truth.events[1].time_s)


def test_a_bad_editor_row_names_its_row_and_column():
    rows = [{"type": "line_crossing", "region": "count_line", "time_s": 1.0},
            {"type": "line_crossing", "region": "count_line", "time_s": float("nan"), "direction": "in"}]
    with pytest.raises(WorkbenchError) as err:
        view.rows_to_truth(rows)
    (problem,) = err.value.problems
    assert (problem.code, problem.params["row"], problem.params["column"]) == ("eval_truth_bad_event", 2, "time_s")


def test_nothing_is_saved_when_a_row_is_wrong(tmp_path):
    target = tmp_path / "c.truth.csv"
    with pytest.raises(WorkbenchError):
        view.save_rows([{"region": "count_line", "time_s": 1.0}], target)  # no type
    assert not target.exists()


def test_uploaded_truth_is_read_as_json_or_csv(synthetic):
    data = synthetic.truth.read_bytes()
    from_json = view.truth_from_upload("demo.truth.json", data)
    assert len(from_json.events) == len(load_truth_file(synthetic.truth).events) > 0
    csv_text = "type,region,direction,time_s\nline_crossing,count_line,in,3.9\n"
    (event,) = view.truth_from_upload("mine.CSV", csv_text.encode()).events
    assert (event.type, event.direction, event.time_s) == ("line_crossing", "in", 3.9)
    with pytest.raises(WorkbenchError) as err:
        view.truth_from_upload("broken.json", b"{not json")
    assert err.value.problems[0].code == "eval_truth_unreadable"


def test_the_pipelines_watched_regions_are_listed():
    assert view.watched_regions(load_spec(PIPELINE)) == [("count_line", "line_crossing")]


def _report():
    spec = load_spec(PIPELINE)
    truth = GroundTruth(events=[
        TimedEvent("line_crossing", 2.0, "count_line", "in"), TimedEvent("line_crossing", 5.0, "count_line", "in"),
        TimedEvent("line_crossing", 8.0, "count_line", "out"), TimedEvent("line_crossing", 9.0, "count_lin", "out")],
        origin="t")
    predicted = [TimedEvent("line_crossing", 2.4, "count_line", "in", node="count_line"),
                 TimedEvent("line_crossing", 5.2, "count_line", "in", node="count_line"),
                 TimedEvent("line_crossing", 6.0, "count_line", "in", node="count_line")]
    return evaluate_predictions(spec, predicted, truth, tolerance_s=1.0)


def test_rule_rows_show_scores_counts_per_direction_and_delay():
    (row,) = view.rule_rows(_report())
    assert set(row) == set(view.RULE_COLUMNS)
    assert (row["rule"], row["type"], row["tp"], row["fp"], row["fn"]) == ("count_line", "line_crossing", 2, 1, 1)
    assert (row["precision"], row["recall"], row["f1"]) == (0.667, 0.667, 0.667)
    assert (row["predicted"], row["true"], row["count_error"]) == (3, 3, 0)
    assert row["count_error_by_direction"] == "in +1 · out -1"
    assert view.rule_rows(_report(), "zh")[0]["count_error_by_direction"] == "进 +1 · 出 -1"
    assert (row["latency_mean_s"], row["latency_max_s"]) == (0.3, 0.4)


def test_unmatched_events_and_truth_no_rule_watches():
    report = _report()
    rows = view.unmatched_rows(report)
    assert [(r["kind"], r["time_s"], r["direction"]) for r in rows] == [("extra", 6.0, "in"), ("missed", 8.0, "out")]
    assert view.unused_truth_text(report) == "line_crossing/count_lin ×1"
    chart = view.score_chart_rows(report)
    assert [(r["metric"], r["value"]) for r in chart] == [("precision", 0.667), ("recall", 0.667), ("f1", 0.667)]


def test_detection_tables_put_the_models_side_by_side():
    def model(label, map50, truck_recall):
        return ModelMetrics(label, f"{label}.pt", map50, map50 / 2, 0.5, 0.6, (
            ClassMetrics("car", 10, 0.9, 0.8, 0.85, 0.5), ClassMetrics("muck_truck", 4, 0.5, truck_recall, 0.4, 0.2),
            ClassMetrics("bus", 0, None, None, None, None)), 14, 1.5)

    comparison = DetectionComparison("d/data.yaml", "val", 320, ("car", "muck_truck", "bus"),
                                     (model("base", 0.3, 0.25), model("tuned", 0.7, 0.75)))
    assert [(r["model"], r["map50"], r["map50_95"]) for r in view.detection_rows(comparison)] == [
        ("base", 0.3, 0.15), ("tuned", 0.7, 0.35)]
    rows = view.per_class_rows(comparison)
    assert [(r["class"], r["model"], r["recall"]) for r in rows] == [
        ("car", "base", 0.8), ("car", "tuned", 0.8), ("muck_truck", "base", 0.25), ("muck_truck", "tuned", 0.75),
        ("bus", "base", None), ("bus", "tuned", None)]


def test_datasets_in_the_home_are_listed(tmp_path):
    for name in ("b_v2", "a_v1"):
        (tmp_path / "datasets" / name).mkdir(parents=True)
        (tmp_path / "datasets" / name / "data.yaml").write_text("names: [car]\n")
    (tmp_path / "datasets" / "empty").mkdir()
    assert view.dataset_yamls(tmp_path) == [tmp_path / "datasets" / n / "data.yaml" for n in ("a_v1", "b_v2")]
