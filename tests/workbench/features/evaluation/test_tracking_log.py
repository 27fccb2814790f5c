"""Evaluation results recorded in a real MLflow store (the embedded sqlite default in a fresh workbench home): as a new
evaluation run, or added to an existing training run; read back with MlflowClient."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.services.ports import free_ports
from workbench.core.errors import WorkbenchError
from workbench.features.evaluation.detection import ClassMetrics, DetectionComparison, ModelMetrics
from workbench.features.evaluation.events import TimedEvent, evaluate_by_type
from workbench.features.evaluation.report import EventReport
from workbench.features.evaluation.tracking_log import EXPERIMENT, log_detection_comparison, log_event_report
from workbench.features.training.tracking import EXPERIMENT as TRAINING_EXPERIMENT
from workbench.features.training.tracking import TrainingRecord, choose_tracking, client, configured_uri


@pytest.fixture
def home(training_home: Path) -> Path:
    """An empty home, MLflow embedded (tests/conftest.py)."""
    return training_home


def _report(clip: str = "gate_s0.mp4", shift: float = 0.2) -> EventReport:
    truth = [TimedEvent("line_crossing", 1.0, "count_line", "in"),
             TimedEvent("line_crossing", 5.0, "count_line", "out"),
             TimedEvent("line_crossing", 9.0, "count_line", "out")]
    predicted = [TimedEvent("line_crossing", 1.0 + shift, "count_line", "in", node="count_line"),
                 TimedEvent("line_crossing", 5.1, "count_line", "out", node="count_line"),
                 TimedEvent("line_crossing", 7.0, "count_line", "in", node="count_line")]
    return EventReport(pipeline="gate_count", clip=f"/clips/{clip}", truth="/clips/gate_s0.truth.json",
                       tolerance_s=1.0, groups=evaluate_by_type("count_line", predicted, truth, 1.0))


def _comparison(data: str = "/home/datasets/site_v3/data.yaml") -> DetectionComparison:
    def model(label: str, map50: float) -> ModelMetrics:
        per_class = (ClassMetrics("muck_truck", 12, 0.8, map50, map50, map50 / 2), ClassMetrics("car", 0, *[None] * 4))
        return ModelMetrics(label, f"/w/{label}.pt", map50, map50 / 2, 0.7, 0.6, per_class, 12, 1.5)

    return DetectionComparison(data, "val", 320, ("muck_truck", "car"), (model("base", 0.1), model("finetuned", 0.6)))


def _training_run() -> str:
    record = TrainingRecord(choose_tracking(), "tiny training")
    run_id = record.start({"epochs": 1}, {"workbench.base_model": "yolo11n"})
    record.log_metrics({"metrics/mAP50(B)": 0.4}, step=1)
    record.end("FINISHED")
    return run_id


def _artifact(run_id: str, path: str) -> dict:
    import mlflow

    return json.loads(mlflow.artifacts.load_text(f"runs:/{run_id}/{path}"))


def test_a_report_becomes_an_evaluation_run_with_params_tags_metrics_and_the_report(home):
    report = _report()
    logged = log_event_report(report)
    assert not logged.attached and logged.embedded and not logged.warnings and logged.link is None
    assert (home / "mlflow.db").is_file()
    mlflow = client(configured_uri())
    run = mlflow.get_run(logged.run_id)
    assert mlflow.get_experiment(run.info.experiment_id).name == EXPERIMENT
    assert run.info.status == "FINISHED"
    assert run.data.params["pipeline"] == "gate_count" and run.data.params["tolerance_s"] == "1.0"
    assert run.data.params["clip"] == "/clips/gate_s0.mp4" and run.data.params["truth"] == "/clips/gate_s0.truth.json"
    assert run.data.tags["workbench.kind"] == "event-evaluation" and run.data.tags["workbench.clip"] == "gate_s0"
    assert run.data.metrics == pytest.approx(report.metrics())
    assert run.data.metrics["events.count_line.line_crossing.tp"] == 2.0
    assert run.data.metrics["events.count_line.line_crossing.latency_max_s"] == pytest.approx(0.2)
    assert _artifact(logged.run_id, logged.artifact) == report.to_dict()


def test_attached_to_a_training_run_adds_metrics_there_and_makes_no_new_run(home):
    run_id = _training_run()
    first = log_event_report(_report("gate_s0.mp4", shift=0.2), run_id=run_id)
    second = log_event_report(_report("gate_s1.mp4", shift=0.6), run_id=run_id)
    assert first.attached and first.run_id == second.run_id == run_id
    mlflow = client(configured_uri())
    runs = mlflow.search_runs([mlflow.get_experiment_by_name(TRAINING_EXPERIMENT).experiment_id])
    assert [r.info.run_id for r in runs] == [run_id]
    assert mlflow.get_experiment_by_name(EXPERIMENT) is None  # nothing went to the evaluation experiment
    metrics = mlflow.get_run(run_id).data.metrics
    assert metrics["mAP50"] == pytest.approx(0.4)  # the training's own metrics stay
    assert metrics["events.gate_count.gate_s0.count_line.line_crossing.latency_max_s"] == pytest.approx(0.2)
    assert metrics["events.gate_count.gate_s1.count_line.line_crossing.latency_max_s"] == pytest.approx(0.6)
    assert metrics["events.gate_count.gate_s1.total.f1"] == pytest.approx(2 / 3)
    files = {a.path for a in mlflow.list_artifacts(run_id, "evaluation")}
    assert files == {"evaluation/events-gate_count-gate_s0.json", "evaluation/events-gate_count-gate_s1.json"}


def test_an_unknown_run_is_a_problem_naming_the_option_and_nothing_is_logged(home):
    _training_run()
    with pytest.raises(WorkbenchError) as err:
        log_event_report(_report(), run_id="0" * 32)
    (problem,) = err.value.problems
    assert (problem.code, problem.field, problem.params["run_id"]) == ("eval_mlflow_run_unknown", "--mlflow-run",
                                                                       "0" * 32)
    assert client(configured_uri()).get_experiment_by_name(EXPERIMENT) is None


def test_a_detection_comparison_is_logged_per_model_and_class(home):
    comparison = _comparison()
    new = log_detection_comparison(comparison)
    mlflow = client(configured_uri())
    run = mlflow.get_run(new.run_id)
    assert run.data.metrics["detection.finetuned.map50"] == pytest.approx(0.6)
    assert run.data.metrics["detection.base.muck_truck.recall"] == pytest.approx(0.1)
    assert "detection.base.car.recall" not in run.data.metrics  # no labeled car: no number, not a zero
    assert json.loads(run.data.params["models"]) == {"base": "/w/base.pt", "finetuned": "/w/finetuned.pt"}
    assert run.data.tags["workbench.dataset"] == "site_v3"
    run_id = _training_run()
    attached = log_detection_comparison(comparison, run_id=run_id)
    assert mlflow.get_run(run_id).data.metrics["detection.site_v3.finetuned.map50"] == pytest.approx(0.6)
    assert _artifact(run_id, attached.artifact)["models"][1]["label"] == "finetuned"


def test_a_configured_server_that_is_down_falls_back_to_the_embedded_store(home, monkeypatch):
    (port,) = free_ports(1)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://user:secret@127.0.0.1:{port}")
    logged = log_event_report(_report())
    assert logged.embedded and [w.code for w in logged.warnings] == ["mlflow_unreachable"]
    assert "secret" not in str(logged.warnings[0].params)
    assert os.environ["MLFLOW_TRACKING_URI"] == f"http://user:secret@127.0.0.1:{port}"  # tried again next time
    assert (home / "mlflow.db").is_file()
    embedded = client(f"sqlite:///{home / 'mlflow.db'}")
    assert embedded.get_run(logged.run_id).data.metrics["events.total.tp"] == 2.0
    with pytest.raises(WorkbenchError) as err:  # a run that lives on that server cannot be reached
        log_event_report(_report(), run_id="1" * 32)
    assert [(p.code, p.field) for p in err.value.problems] == [("mlflow_server_down", "MLFLOW_TRACKING_URI")]
