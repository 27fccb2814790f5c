"""A tiny real training on the embedded default store (sqlite under the workbench home, no server)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.core.errors import WorkbenchError
from workbench.features.training.config import TrainConfig
from workbench.features.training.tracking import client, configured_uri, promote
from workbench.features.training.trainer import TrainResult, train

from .conftest import copy_dataset

NAME = "tiny-detector"


@pytest.fixture(scope="module")
def trained(tiny_dataset_source: Path, tmp_path_factory: pytest.TempPathFactory):
    """One 1-epoch training of an untrained yolo11n.yaml at 160 px with the form's default freezing (switched off:
    the backbone is random); (home, result, progress updates)."""
    tmp = tmp_path_factory.mktemp("trained")
    home = tmp / "home"
    data = copy_dataset(tiny_dataset_source, tmp / "dataset")
    updates = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_HOME", str(home))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        config = TrainConfig(base_model="yolo11n.yaml", model_name=NAME, epochs=1, imgsz=160, batch=8, device="cpu")
        assert config.freeze_backbone
        result = train(config, data, home / "training" / "t1",
                       on_progress=lambda p: updates.append((p.epoch, p.batch, dict(p.losses), list(p.notices))))
        yield home, result, updates, mp


@pytest.mark.slow
def test_one_run_with_params_metrics_and_dataset_version(trained):
    home, result, updates, _ = trained
    assert isinstance(result, TrainResult) and result.state == "done" and result.embedded
    assert (home / "mlflow.db").is_file() and not Path("mlruns").exists() and not Path("mlflow.db").exists()
    mlflow = client(configured_uri())
    runs = mlflow.search_runs([result.experiment_id])
    assert len(runs) == 1  # ultralytics' own MLflow callback made no second run
    run = runs[0]
    assert run.info.status == "FINISHED"
    assert run.data.params["dataset_version"] == result.dataset_version and len(result.dataset_version) == 16
    assert run.data.params["base_model"] == "yolo11n.yaml" and run.data.params["epochs"] == "1"
    assert run.data.tags["workbench.classes"] == '["car", "van", "truck", "muck_truck", "bus", "person"]'
    history = mlflow.get_metric_history(run.info.run_id, "mAP50")
    assert [m.step for m in history] == [1]
    assert mlflow.get_metric_history(run.info.run_id, "train/box_loss")[0].value > 0
    assert updates and updates[-1][0] == 1 and updates[-1][2]["train/box_loss"] > 0
    artifacts = {a.path for a in mlflow.list_artifacts(run.info.run_id)}
    assert {"results.csv", "plots", "dataset"} <= artifacts
    assert any(a.path.endswith("results.png") for a in mlflow.list_artifacts(run.info.run_id, "plots"))
    assert result.seconds_per_epoch and result.seconds_per_epoch > 0


@pytest.mark.slow
def test_freezing_a_random_backbone_is_switched_off_and_a_model_that_finds_nothing_says_so(trained):
    """Issue 15: with an untrained base the default --freeze froze a random backbone without a word, and a model
    scoring mAP50 0.000 was registered as an ordinary candidate."""
    _home, result, updates, _ = trained
    assert result.freeze_switched_off
    codes = [w.code for w in result.warnings]
    (freeze,) = [w for w in result.warnings if w.code == "training_freeze_untrained"]
    assert freeze.field == "freeze_backbone" and freeze.params == {"model": "yolo11n.yaml"}
    assert updates[0][3] == [{"code": "training_freeze_untrained", "field": "freeze_backbone",
                              "params": {"model": "yolo11n.yaml"}}]  # known before the first batch
    assert result.verdict == "zero" and result.base_map50 == 0.0
    assert "training_scored_zero_untrained_base" in codes
    mlflow = client(configured_uri())
    run = mlflow.get_run(result.run_id)
    assert run.data.params["freeze_layers"] == "0" and run.data.params["base_untrained"] == "True"
    assert run.data.tags["workbench.verdict"] == "zero" and run.data.metrics["base/mAP50"] == 0.0
    assert mlflow.get_model_version(NAME, result.version).tags["workbench.verdict"] == "zero"


@pytest.mark.slow
def test_model_registered_as_candidate_with_weights_and_onnx(trained, tmp_path: Path):
    _home, result, _, _ = trained
    mlflow = client(configured_uri())
    version = mlflow.get_model_version_by_alias(NAME, "candidate")
    assert str(version.version) == "1" == result.version and version.run_id == result.run_id
    assert version.tags["workbench.dataset_version"] == result.dataset_version
    import mlflow as mlflow_module

    local = Path(mlflow_module.artifacts.download_artifacts(f"models:/{NAME}@candidate", dst_path=str(tmp_path)))
    assert {"best.pt", "best.onnx", "model.json"} <= {p.name for p in local.iterdir()}
    import onnxruntime

    session = onnxruntime.InferenceSession(str(local / "best.onnx"), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {session.get_inputs()[0].name: np.zeros((1, 3, 160, 160), np.float32)})
    assert outputs[0].shape == (1, 4 + 6, 525)  # box + 6 class scores for each of 525 anchors at 160 px


@pytest.mark.slow
def test_promote_sets_champion_and_unknown_version_is_a_problem(trained):
    promote(NAME, "1")
    mlflow = client(configured_uri())
    assert str(mlflow.get_model_version_by_alias(NAME, "champion").version) == "1"
    assert str(mlflow.get_model_version_by_alias(NAME, "candidate").version) == "1"
    with pytest.raises(WorkbenchError) as exc:
        promote(NAME, "7")
    assert exc.value.problems[0].code == "model_version_unknown"


def test_bad_dataset_stops_before_anything_is_recorded(tiny_dataset: Path, training_home: Path):
    for label in (tiny_dataset.parent / "labels").rglob("*.txt"):
        label.write_text("")
    with pytest.raises(WorkbenchError) as exc:
        train(TrainConfig(base_model="yolo11n.yaml", epochs=1, imgsz=160), tiny_dataset, training_home / "t")
    assert {p.code for p in exc.value.problems} == {"train_data_empty"}
    assert not (training_home / "mlflow.db").exists()


def test_missing_zoo_weights_stop_before_anything_is_recorded(tiny_dataset: Path, training_home: Path, zoo_home):
    with pytest.raises(WorkbenchError) as exc:
        train(TrainConfig(base_model="yolo11n", epochs=1, imgsz=160), tiny_dataset, training_home / "t")
    assert [(p.code, p.field) for p in exc.value.problems] == [("weights_missing", "base_model")]
    assert not list(zoo_home.glob("mlflow.db"))


@pytest.mark.slow
def test_cancel_mid_training_registers_nothing(trained):
    """A background job fine-tuning the registered candidate is cancelled after its first epoch."""
    import time

    from workbench.features.training.jobs import cancel_training, job_dir, start_training, training_status

    _home, first, _, _ = trained
    config = TrainConfig(base_model=f"models:/{NAME}@candidate", model_name=NAME, epochs=20, imgsz=160, batch=4,
                         device="cpu", patience=0)
    job = start_training(config, first_dataset(first))
    deadline = time.monotonic() + 240
    while training_status(job).progress.get("epoch", 0) < 1:
        assert not training_status(job).finished, (job_dir(job) / "worker.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "no epoch finished in time"
        time.sleep(0.3)
    cancel_training(job)
    while not (status := training_status(job)).finished:
        assert time.monotonic() < deadline, "the cancel was not honoured"
        time.sleep(0.3)
    assert status.state == "cancelled", (job_dir(job) / "worker.log").read_text()[-3000:]
    assert status.progress["epoch"] < 20 and status.result["version"] is None
    mlflow = client(configured_uri())
    assert [str(v.version) for v in mlflow.search_model_versions(f"name='{NAME}'")] == ["1"]
    assert mlflow.get_run(status.result["run_id"]).info.status == "KILLED"
    assert mlflow.get_run(status.result["run_id"]).data.params["base_model"] == f"models:/{NAME}@candidate"
    assert not (job_dir(job) / "model").exists()


def first_dataset(result: TrainResult) -> str:
    """The data.yaml the module's first training used (recorded in its run)."""
    return client(configured_uri()).get_run(result.run_id).data.params["data_yaml"]


@pytest.mark.slow
def test_a_base_that_knows_the_classes_is_scored_on_the_same_images(trained):
    """Fine-tuning the registered candidate (the dataset's classes, a backbone one epoch trained): freezing is kept,
    the base is validated on the same images, and the verdict compares the two."""
    home, first, _, _ = trained
    config = TrainConfig(base_model=f"models:/{NAME}@candidate", model_name="second", epochs=1, imgsz=160, batch=8,
                         device="cpu")
    result = train(config, first_dataset(first), home / "training" / "t2")
    assert not result.freeze_switched_off
    assert "training_freeze_untrained" not in [w.code for w in result.warnings]
    assert isinstance(result.base_map50, float)
    map50 = result.final_metrics.get("metrics/mAP50(B)")
    expected = "zero" if map50 <= 0.001 else ("no_better" if map50 <= result.base_map50 else "better")
    assert result.verdict == expected
    run = client(configured_uri()).get_run(result.run_id)
    assert run.data.metrics["base/mAP50"] == pytest.approx(result.base_map50)
    assert run.data.params["freeze_layers"] == "11"
