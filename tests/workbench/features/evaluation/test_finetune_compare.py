"""Base vs fine-tuned for a real finished training job (a background worker, 1 epoch at 160 px on a tiny synthetic
dataset, embedded MLflow): both models scored on the val split, the comparison added to the training's run; and the
CLI's `--training` and `--mlflow-run` with good and bad input."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from workbench.apps.cli import main
from workbench.features.evaluation.finetune_compare import BASE, FINETUNED, compare_training, finished_training
from workbench.features.evaluation.tracking_log import EXPERIMENT
from workbench.features.training.config import TrainConfig
from workbench.features.training.jobs import start_training, training_status
from workbench.features.training.synthetic_dataset import SYNTH_CLASSES, build_synthetic_dataset
from workbench.features.training.tracking import EXPERIMENT as TRAINING_EXPERIMENT
from workbench.features.training.tracking import client, embedded_uri

TIMEOUT_S = 600


def _base_checkpoint(path: Path) -> Path:
    """An untrained yolo11n for the synthetic classes, saved as a real ultralytics checkpoint (the "base model")."""
    from workbench.models.ultralytics_env import prepare_ultralytics

    prepare_ultralytics()
    from ultralytics import YOLO
    from ultralytics.nn.tasks import DetectionModel

    model = YOLO("yolo11n.yaml")
    model.model = DetectionModel("yolo11n.yaml", nc=len(SYNTH_CLASSES), verbose=False)
    model.model.names = dict(enumerate(SYNTH_CLASSES))
    model.save(str(path))
    return path


def make_finished_job(tmp: Path) -> tuple[str, Path, Path]:
    """(job id, base.pt, data.yaml) of a finished 1-epoch training started as the app and CLI start one; the
    workbench home and MLflow settings are the caller's."""
    data = build_synthetic_dataset(tmp / "site_v1", train=[("traffic", 0)], val=[("demo", 1)], every=25)
    for extra in sorted((tmp / "site_v1" / "images" / "val").iterdir())[8:]:  # keep validation short
        extra.unlink()
        (tmp / "site_v1" / "labels" / "val" / f"{extra.stem}.txt").unlink()
    base = _base_checkpoint(tmp / "base.pt")
    config = TrainConfig(base_model=str(base), model_name="tiny-site", epochs=1, imgsz=160, batch=8,
                         device="cpu", freeze_backbone=False)
    job_id = start_training(config, data)
    deadline = time.monotonic() + TIMEOUT_S
    while not training_status(job_id).finished:
        assert time.monotonic() < deadline, training_status(job_id)
        time.sleep(1)
    assert training_status(job_id).state == "done", training_status(job_id)
    return job_id, base, data


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("finetune")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_HOME", str(tmp / "home"))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        yield make_finished_job(tmp)


@pytest.mark.slow
def test_base_and_finetuned_are_scored_and_added_to_the_training_run(job):
    job_id, base, data = job
    result = training_status(job_id).result
    outcome = compare_training(job_id)
    assert [m.label for m in outcome.comparison.models] == [BASE, FINETUNED]
    assert outcome.model(FINETUNED).model == result["best_pt"]  # the job's own best.pt
    assert Path(outcome.model(BASE).model) == base
    assert outcome.comparison.data == str(data) and outcome.comparison.split == "val"
    assert outcome.comparison.imgsz == 160 and not outcome.warnings
    assert outcome.model(FINETUNED).instances > 0
    logged = outcome.logged
    assert logged.attached and logged.run_id == result["run_id"]
    mlflow = client(embedded_uri())
    metrics = mlflow.get_run(result["run_id"]).data.metrics
    for label in (BASE, FINETUNED):
        assert metrics[f"detection.site_v1.{label}.map50"] == pytest.approx(outcome.model(label).map50)
        assert metrics[f"detection.site_v1.{label}.recall"] == pytest.approx(outcome.model(label).recall)
    runs = mlflow.search_runs([mlflow.get_experiment_by_name(TRAINING_EXPERIMENT).experiment_id])
    assert [r.info.run_id for r in runs] == [result["run_id"]]
    assert mlflow.get_experiment_by_name(EXPERIMENT) is None


@pytest.mark.slow
def test_an_untrained_base_is_not_scored_and_the_warning_says_why(job):
    job_id, _, _ = job
    training = replace(finished_training(job_id), base_model="yolo11n.yaml")
    outcome = compare_training(training, log=False)
    assert [m.label for m in outcome.comparison.models] == [FINETUNED]
    assert [(w.code, w.field) for w in outcome.warnings] == [("eval_base_untrained", "--training")]
    assert outcome.logged is None


@pytest.mark.slow
def test_cli_compares_a_training_and_prints_its_run(job, capsys):
    job_id, _, _ = job
    assert main(["eval", "detection", "--training", job_id, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [m["label"] for m in out["models"]] == [BASE, FINETUNED]
    assert out["mlflow"]["run_id"] == training_status(job_id).result["run_id"] and out["mlflow"]["attached"]


@pytest.mark.slow
def test_cli_adds_a_comparison_to_a_named_run_or_to_a_new_one(job, capsys):
    job_id, base, data = job
    run_id = training_status(job_id).result["run_id"]
    best = training_status(job_id).result["best_pt"]
    assert main(["eval", "detection", str(data), "--model", str(base), "--model", best, "--mlflow-run", run_id]) == 0
    text = capsys.readouterr().out
    assert run_id in text
    assert "detection.site_v1.best.map50" in client(embedded_uri()).get_run(run_id).data.metrics
    assert main(["eval", "detection", str(data), "--model", best, "--mlflow", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    new = out["mlflow"]
    assert not new["attached"] and new["run_id"] != run_id
    run = client(embedded_uri()).get_run(new["run_id"])
    assert run.data.metrics["detection.best.map50"] == pytest.approx(out["models"][0]["map50"])
    assert run.data.params["data"] == str(data)
