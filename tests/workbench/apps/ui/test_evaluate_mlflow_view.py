"""The Evaluate page's MLflow calls: which trainings a result can be attached to, logging, bad input as problems."""

from __future__ import annotations

import pytest

from workbench.apps.ui import evaluate_mlflow_view as mlview
from workbench.features.evaluation.events import TimedEvent, evaluate_by_type
from workbench.features.evaluation.report import EventReport
from workbench.features.training.jobs import TrainingStatus
from workbench.features.training.tracking import client, configured_uri


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path / "home"


def _status(job_id: str, state: str, run_id: str | None, best: str | None) -> TrainingStatus:
    return TrainingStatus(id=job_id, state=state, request={"started": "2026-11-04T10:15:00+08:00"},
                          result={"run_id": run_id, "best_pt": best, "model_name": "gate", "version": "3"})


def test_only_trainings_that_produced_a_model_can_be_attached_to():
    trainings = [_status("j3", "running", None, None), _status("j2", "done", "r2", "/t/j2/best.pt"),
                 _status("j1", "cancelled", "r1", None)]
    choices = mlview.attach_choices(trainings, lang="en")
    assert list(choices) == [mlview.NEW_RUN, "r2"]
    assert "j2" in choices["r2"] and "gate" in choices["r2"] and "2026-11-04 10:15" in choices["r2"]


def test_a_report_is_logged_and_an_unknown_run_is_a_problem(home):
    truth = [TimedEvent("zone_enter", 2.0, "gate")]
    report = EventReport("gate_watch", "/c/gate.mp4", "/c/gate.truth.json", 1.0,
                         evaluate_by_type("gate", [TimedEvent("zone_enter", 2.5, "gate", node="gate")], truth, 1.0))
    logged = mlview.log_result(report)
    assert client(configured_uri()).get_run(logged.run_id).data.metrics["events.gate.zone_enter.f1"] == 1.0
    problems = mlview.log_result(report, "a" * 32)
    assert [(p.code, p.field) for p in problems] == [("eval_mlflow_run_unknown", "run")]


def test_comparing_an_unknown_training_is_a_problem(home):
    (problem,) = mlview.compare_with_base("20990101-000000-zzzz")
    assert (problem.code, problem.field) == ("eval_training_unknown", "--training")


def test_a_viewer_logging_an_evaluation_is_refused_before_mlflow_is_touched(tmp_path, monkeypatch):
    from workbench.records.roles import Actor

    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    (refusal,) = mlview.log_result(object(), actor=Actor("zhao", "haidian", frozenset({"viewer"})))
    assert refusal.code == "access_denied" and "zhao" in refusal.message("en")
    assert not (tmp_path / "home" / "mlflow").exists()
