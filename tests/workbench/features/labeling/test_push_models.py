"""Pre-annotation models are named like training bases (one resolver), also the zoo's ONNX models (the bundled NanoDet
on real-pixel frames, through a class mapping), and the push counts only tasks that got boxes (a stand-in Label Studio
client; the real server is in test_labelstudio.py)."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from real_clip_support import iou, real_clip, truth_boxes

from workbench.apps.cli import main
from workbench.core.errors import WorkbenchError
from workbench.features.labeling.boxes import Box
from workbench.features.labeling.class_map import ClassMap, parse_pairs
from workbench.features.labeling.projects import FrameRef, ProjectRef, model_predictor, push_frames
from workbench.features.labeling.teacher import open_teacher
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


# -- the zoo's ONNX teacher on real pixels -----------------------------------------------------------------------------
VEHICLES = ["car", "van", "bus"]
TO_VEHICLES = "car=car,truck=van,bus=bus,bird=ignore"


@pytest.fixture(scope="module")
def street(tmp_path_factory, vtest_video) -> tuple[list[Path], dict]:
    """Frames 0, 25 and 50 of a real-pixel street (a bus, a car, the parked van, people) and the clip's truth."""
    folder = tmp_path_factory.mktemp("street")
    video, truth = real_clip(folder, seconds=2.2)
    cap = cv2.VideoCapture(str(video))
    paths = []
    for index in range(51):
        ok, image = cap.read()
        assert ok
        if index % 25 == 0:
            paths.append(folder / "frames" / "street" / f"{index:06d}.png")
            paths[-1].parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(paths[-1]), image)
    cap.release()
    return paths, truth


def test_the_bundled_onnx_model_teaches_through_the_one_resolver(street):
    """`push --model nanodet-m-416` was refused (weights_not_ultralytics): the zoo's NanoDet is no ultralytics file."""
    paths, truth = street
    teacher = open_teacher("nanodet-m-416", conf=0.35)
    assert teacher.runtime == "nanodet" and len(teacher.names) == 80
    assert teacher.version == f"nanodet-m-416@{sha256_of(Path(resolve_model('nanodet-m-416', field='m').weights))[:12]}"
    mapping = ClassMap.build(parse_pairs(TO_VEHICLES), teacher.names, VEHICLES, teacher.model)
    kept, _ = mapping.apply(teacher.detect(cv2.imread(str(paths[2]))))
    truth_50 = truth_boxes(truth, 50, tuple(VEHICLES))
    assert sorted(b.cls for b in kept) == sorted(c for c, _ in truth_50) == ["bus", "car", "van"]
    for b in kept:  # each box lies on the object of its class
        assert max(iou((b.x1, b.y1, b.x2, b.y2), box) for c, box in truth_50 if c == b.cls) > 0.7, b
    strict = open_teacher("nanodet-m-416", conf=0.35, class_conf={"Truck": 0.99})
    assert strict.class_conf == {"truck": 0.99}
    assert "truck" not in {b.cls for b in strict.detect(cv2.imread(str(paths[2])))}
    with pytest.raises(WorkbenchError) as err:
        open_teacher("nanodet-m-416", class_conf={"lorry": 0.5})
    (problem,) = err.value.problems
    assert (problem.code, problem.field) == ("teacher_unknown_class", "--class-conf") and "lorry" in problem.message()


def test_onnx_pre_labels_are_mapped_and_counted_honestly(street, tmp_path):
    paths, _ = street
    frames = [FrameRef(p, "street", int(p.stem)) for p in paths]
    project = ProjectRef(1, "street", VEHICLES, "image")
    teacher = open_teacher("nanodet-m-416", conf=0.35)

    def push(mapping: str):
        client = _Client()
        class_map = ClassMap.build(parse_pairs(mapping), teacher.names, VEHICLES, teacher.model)
        result = push_frames(client, project, frames, teacher.detect, teacher.version,
                             document_root=paths[0].parents[2], mapping=class_map)
        return client, result

    client, result = push(TO_VEHICLES)
    assert (result.predicted, result.predictions, result.boxes) == (3, 3, 8)  # van+car, +bus at 25 and 50
    labels = [[r["value"]["rectanglelabels"][0] for r in t["predictions"][0]["result"]] for t in client.imported]
    assert [sorted(x) for x in labels] == [["car", "van"], ["bus", "car", "van"], ["bus", "car", "van"]]
    assert "person" in result.other_classes and set(result.ignored) == {"bird"}
    assert {t["predictions"][0]["model_version"] for t in client.imported} == {teacher.version}
    assert result.model_warnings(teacher.version, VEHICLES) == []

    _, result = push("airplane=car")  # nothing it finds is mapped: no task counts as pre-labelled
    assert (result.predicted, result.predictions, result.boxes) == (3, 0, 0)
    (warning,) = result.model_warnings(teacher.version, VEHICLES)
    assert warning.code == "labeling_model_unmapped_classes" and "truck (" in warning.params["found"]
    assert "--map" in warning.message("en") and "--map" in warning.message("zh")

    found = {b.cls for p in paths for b in teacher.detect(cv2.imread(str(p)))}
    _, result = push(",".join(f"{c}=ignore" for c in sorted(found)) + ",airplane=car")
    assert (result.predictions, result.other_classes) == (0, {})
    (warning,) = result.model_warnings(teacher.version, VEHICLES)
    assert warning.code == "labeling_model_only_ignored" and set(result.ignored) == found


def test_the_push_command_checks_the_mapping_before_the_server(street, monkeypatch, capsys):
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")  # nothing listens: a connection would fail
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "x")
    folder = str(street[0][0].parent)
    assert main(["labelstudio", "push", folder, "--project", "p", "--classes", "car,van", "--model", "nanodet-m-416",
                 "--map", "truck=lorry"]) != 0
    err = capsys.readouterr().err
    assert "lorry" in err and "car, van" in err and "127.0.0.1:9" not in err
    assert main(["labelstudio", "push", folder, "--project", "p", "--classes", "car", "--map", "car=car"]) != 0
    assert "--model" in capsys.readouterr().err
