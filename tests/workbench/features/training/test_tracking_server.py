"""A real MLflow server whose artifacts live in a real S3 bucket (SeaweedFS): the registered model's files are
objects in the bucket, and the client never needed S3 credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
from services.mlflow_server import mlflow_server
from services.seaweedfs import seaweedfs

from workbench.features.training.config import TrainConfig
from workbench.features.training.tracking import client, promote
from workbench.features.training.trainer import train


@pytest.mark.slow
def test_training_on_server_puts_model_files_in_the_bucket(tiny_dataset: Path, training_home: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    with seaweedfs(tmp_path / "s3") as s3, mlflow_server(tmp_path / "mlflow", s3, "mlflow") as server:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "MLFLOW_S3_ENDPOINT_URL"):
            monkeypatch.delenv(key, raising=False)  # artifacts go through the server, not from here
        config = TrainConfig(base_model="yolo11n.yaml", model_name="s3-model", epochs=1, imgsz=160, device="cpu")
        result = train(config, tiny_dataset, training_home / "training" / "s3")
        assert result.state == "done" and not result.embedded
        assert "mlflow_unreachable" not in {w.code for w in result.warnings}
        assert not (training_home / "mlflow.db").exists()
        promote("s3-model", result.version)
        mlflow = client(server.url)
        version = mlflow.get_model_version_by_alias("s3-model", "champion")
        assert str(version.version) == "1" and version.run_id == result.run_id
        objects = [o.object_name for o in s3.minio().list_objects("mlflow", recursive=True)]
        model_objects = [o for o in objects if "/models/" in o or o.startswith("models/")]
        names = {Path(o).name for o in model_objects}
        assert {"best.pt", "best.onnx", "model.json"} <= names, objects
        assert any(o.endswith("results.csv") and result.run_id in o for o in objects)
        best = next(o for o in model_objects if o.endswith("best.pt"))
        assert s3.minio().stat_object("mlflow", best).size == Path(result.best_pt).stat().st_size
