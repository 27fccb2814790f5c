"""The Evaluate page records results in MLflow: an event report as a new evaluation run or added to a training's
run, and "compare with base model" for a finished training (real embedded MLflow, a real 1-epoch training)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from ui_support import as_user

from tests.workbench.features.evaluation.test_finetune_compare import make_finished_job
from workbench.core.i18n import t
from workbench.features.evaluation.tracking_log import EXPERIMENT
from workbench.features.training.jobs import training_status
from workbench.features.training.tracking import client, embedded_uri

# the motion pipeline that counts the drawn demo street (demo_home) exactly
PIPELINE = Path(__file__).resolve().parents[4] / "pipelines" / "vehicle_count_line.yaml"
TIMEOUT_S = 300


def _page() -> None:
    from workbench.apps.ui.pages.evaluate import evaluate_page

    evaluate_page()


def _replayed(lang: str = "en") -> AppTest:
    at = as_user(AppTest.from_function(_page, default_timeout=TIMEOUT_S))
    at.session_state["lang"] = lang
    at.session_state["eval_pipeline"] = str(PIPELINE)  # from the first render, not the page's first template
    at.run()
    at.selectbox(key="eval_pipeline").set_value(str(PIPELINE)).run()
    at.button(key="eval_go").click().run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_report_is_logged_as_a_new_evaluation_run(demo_home, lang):
    at = _replayed(lang)
    assert at.selectbox(key="eval_mlflow_target").value == ""  # a new run unless a training is picked
    at.button(key="eval_mlflow_log").click().run()
    assert not at.exception, at.exception
    logged = at.session_state["eval_mlflow_result"]
    assert [s.value for s in at.success] == [t("app.eval_mlflow.logged", lang, run_id=logged.run_id,
                                               uri=logged.tracking_uri)]
    mlflow = client(embedded_uri())
    run = mlflow.get_run(logged.run_id)
    assert mlflow.get_experiment(run.info.experiment_id).name == EXPERIMENT
    assert run.data.metrics["events.total.f1"] == 1.0 and run.data.params["pipeline"] == "vehicle-count-line"


@pytest.mark.slow
def test_a_finished_training_is_compared_with_its_base_and_a_report_attached_to_it(demo_home, tmp_path):
    job_id, _, _ = make_finished_job(tmp_path)
    run_id = training_status(job_id).result["run_id"]
    at = _replayed()
    assert at.selectbox(key="eval_training").value == job_id
    at.button(key="eval_compare_training").click().run()
    assert not at.exception, at.exception
    models = next(d.value for d in at.dataframe if "map50" in d.value.columns and "class" not in d.value.columns)
    assert list(models["model"]) == ["base", "finetuned"]
    mlflow = client(embedded_uri())
    metrics = mlflow.get_run(run_id).data.metrics
    assert metrics["detection.site_v1.finetuned.map50"] == pytest.approx(float(models["map50"].iloc[1]), abs=1e-3)
    assert t("app.eval_mlflow.attached", "en", run_id=run_id, uri=embedded_uri()) in [s.value for s in at.success]
    at.selectbox(key="eval_mlflow_target").set_value(run_id).run()
    at.button(key="eval_mlflow_log").click().run()
    assert not at.exception, at.exception
    metrics = mlflow.get_run(run_id).data.metrics
    assert metrics["events.vehicle-count-line.demo_s0.total.f1"] == 1.0
    assert len(mlflow.search_runs([mlflow.get_run(run_id).info.experiment_id])) == 1
