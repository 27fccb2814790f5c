"""Pre-annotation models are named like training bases (one resolver), and the push counts only tasks that got boxes
(a stand-in Label Studio client; the real server is in test_labelstudio.py)."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from workbench.core.errors import WorkbenchError
from workbench.features.labeling.boxes import Box
from workbench.features.labeling.projects import FrameRef, ProjectRef, model_predictor, push_frames
from workbench.features.training.base_model import resolve_base_model
from workbench.features.training.model_ref import resolve_model
from workbench.features.training.tracking import Tracking, TrainingRecord, embedded_uri, promote
from workbench.models.zoo import sha256_of

CLASSES = ["truck", "car"]


def register(weights: Path, name: str, work: Path) -> str:
    """`weights` as a new version of `name` in the embedded registry (as a training registers its best.pt)."""
    folder = work / f"model-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(weights, folder / "best.pt")
    record = TrainingRecord(Tracking(embedded_uri(), True), name)
    record.start({}, {})
    version = record.register(folder, name, {})
    record.end("FINISHED")
    return version


@pytest.fixture
def champion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, untrained_pt: Path) -> str:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    version = register(untrained_pt, "site", tmp_path)
    promote("site", version)
    return version


def test_a_registered_model_pre_labels_like_it_trains(champion: str, untrained_pt: Path):
    """`labelstudio push --model models:/site@champion` was refused ("unknown model") while `train --base` took it."""
    predictor, version = model_predictor("models:/site@champion")
    assert version == f"site/v{champion}@{sha256_of(untrained_pt)[:12]}"
    assert isinstance(predictor(np.zeros((96, 160, 3), np.uint8)), list)
    base = resolve_base_model("models:/site@champion", embedded_uri())
    pre = resolve_model("models:/site@champion", field="--model")
    assert base.weights == pre.weights and sha256_of(Path(pre.weights)) == sha256_of(untrained_pt)
    assert resolve_model(f"models:/site/{champion}", field="--model").weights == pre.weights
    with pytest.raises(WorkbenchError) as err:
        model_predictor("models:/site@nope")
    (problem,) = err.value.problems
    assert (problem.code, problem.node, problem.field) == ("base_model_not_registered", "labelstudio", "--model")
    with pytest.raises(WorkbenchError) as err:  # an untrained architecture can start a training, not pre-label
        model_predictor("yolo11n.yaml")
    assert err.value.problems[0].code == "model_ref_untrained_architecture"


class _Client:
    """Just what push_frames uses: tasks already there, local storages, task import."""

    def __init__(self) -> None:
        self.imported: list[dict] = []
        self.tasks = SimpleNamespace(list=lambda project, fields: [])
        self.import_storage = SimpleNamespace(local=SimpleNamespace(list=lambda project: [],
                                                                    create=lambda **kw: None))
        self.projects = SimpleNamespace(import_tasks=lambda id, request: self.imported.extend(request))


def _frames(root: Path, n: int = 3) -> list[FrameRef]:
    refs = []
    for i in range(n):
        path = root / "frames" / "cam1" / f"{i:06d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), np.full((90, 160, 3), 30 * i, np.uint8))
        refs.append(FrameRef(path, "cam1", i))
    return refs


@pytest.mark.parametrize(("boxes", "code"), [
    ([], "labeling_model_found_nothing"),
    ([Box("bus", 0, 0, 10, 10, 0.9), Box("person", 5, 5, 9, 9, 0.5)], "labeling_model_unmapped_classes"),
])
def test_a_model_that_pre_labels_nothing_is_counted_as_nothing_and_said(tmp_path: Path, boxes, code):
    """A best.pt whose predictions were empty used to be reported as "12 with pre-annotations"."""
    client = _Client()
    project = ProjectRef(1, "gate", CLASSES, "image")
    result = push_frames(client, project, _frames(tmp_path), lambda image: list(boxes), "best@abc",
                         document_root=tmp_path)
    assert (len(result.created), result.predicted, result.predictions, result.boxes) == (3, 3, 0, 0)
    assert all("predictions" not in task for task in client.imported)  # no empty prediction in Label Studio
    (warning,) = result.model_warnings("best@abc", CLASSES)
    assert warning.code == code and warning.field == "--model" and warning.severity == "warning"
    for lang in ("en", "zh"):
        assert "best@abc" in warning.message(lang)
    if boxes:
        assert warning.params["found"] == "bus (3), person (3)"


def test_only_frames_with_boxes_count_as_pre_annotated(tmp_path: Path):
    client = _Client()
    project = ProjectRef(1, "gate", CLASSES, "image")

    def model(image):  # finds a car in bright frames only, and always a bus (not a project class)
        return [Box("bus", 0, 0, 5, 5, 0.9)] + ([Box("car", 10, 10, 60, 40, 0.8)] if image.mean() > 20 else [])

    result = push_frames(client, project, _frames(tmp_path), model, "m@1", document_root=tmp_path)
    assert (result.predicted, result.predictions, result.boxes) == (3, 2, 2)
    assert [len(t.get("predictions", [])) for t in client.imported] == [0, 1, 1]
    assert result.model_warnings("m@1", CLASSES) == []
