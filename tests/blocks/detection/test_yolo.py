"""YOLO detector: weights only from the local zoo (checked, safely unpickled); well-formed detections."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import supervision as sv
import yaml
from support import make_frame

from blocks.detection.yolo import YoloConfig, YoloDetector
from workbench.core.errors import BlockError
from workbench.core.frames import read_only
from workbench.models import zoo

COCO = yaml.safe_load((Path(__file__).resolve().parents[3] / "model_zoo" / "yolo11n.yaml").read_text())["classes"]
FRAME = replace(make_frame(3), image=read_only(np.random.default_rng(0).integers(0, 256, (360, 640, 3), np.uint8)))


@pytest.fixture
def tiny_zoo(zoo_home, untrained_pt) -> Path:
    """The zoo of `zoo_home` plus model `tiny`: an untrained yolo11n checkpoint imported under COCO class names."""
    zoo.import_weights(untrained_pt, "tiny", classes=COCO, license="AGPL-3.0")
    return zoo_home


def loaded(**config) -> YoloDetector:
    block = YoloDetector(YoloConfig(**config), "det")
    block.load()
    return block


def detect(block: YoloDetector) -> sv.Detections:
    before = FRAME.image.copy()
    dets = block.process(block.start(None), FRAME, {"image": FRAME})["detections"]
    assert np.array_equal(FRAME.image, before)
    return dets


def assert_well_formed(dets: sv.Detections) -> None:
    n = len(dets)
    assert dets.xyxy.shape == (n, 4)
    assert dets.class_id.shape == (n,) and dets.class_id.dtype.kind == "i"
    assert dets.confidence.shape == (n,) and ((dets.confidence >= 0) & (dets.confidence <= 1)).all()
    names = dets.data["class_name"]
    assert names.shape == (n,) and names.dtype.kind == "U"
    assert [COCO[i] for i in dets.class_id] == names.tolist()
    assert (dets.xyxy[:, [0, 2]] <= 640).all() and (dets.xyxy[:, [1, 3]] <= 360).all() and (dets.xyxy >= 0).all()


def test_detects_with_imported_weights(tiny_zoo):
    # an untrained model scores everything near zero: conf 0 keeps its boxes so the output has rows to check
    dets = detect(loaded(model="tiny", conf=0.0, max_det=7, imgsz=320))
    assert len(dets) == 7
    assert_well_formed(dets)


def test_class_filter_and_empty_output(tiny_zoo):
    # the untrained model rates every box "person" (class 0) highest
    dets = detect(loaded(model="tiny", conf=0.0, max_det=5, imgsz=320, classes=["person", "bus"]))
    assert len(dets) == 5 and set(dets.data["class_name"]) == {"person"}
    assert_well_formed(dets)
    without_people = detect(loaded(model="tiny", conf=0.0, max_det=5, imgsz=320, classes=["car", "bus"]))
    assert len(without_people) == 0
    assert_well_formed(without_people)
    empty = detect(loaded(model="tiny", conf=1.0, imgsz=320))  # nothing reaches confidence 1: empty, still typed
    assert len(empty) == 0
    assert_well_formed(empty)


def test_unknown_class_names_the_classes_field(tiny_zoo):
    with pytest.raises(BlockError) as err:
        loaded(model="tiny", classes=["car", "unicorn"])
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("detector_unknown_class", "det", "classes")
    assert "unicorn" in problem.params["classes"] and "car" not in problem.params["classes"]


def test_missing_weights_offline_says_how_to_import(zoo_home):
    with pytest.raises(BlockError) as err:
        loaded(model="yolo11n")
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("weights_missing", "det", "model")
    assert problem.params["hint"] == "workbench zoo import FILE --id yolo11n"
    assert not any((zoo_home / "models").rglob("*.pt"))  # nothing was downloaded


def test_unknown_model_lists_known_ones(tiny_zoo):
    with pytest.raises(BlockError) as err:
        loaded(model="yolo99x")
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("unknown_model", "det", "model")
    assert problem.params["known"] == "tiny, yolo11n"


def test_changed_weights_are_refused(tiny_zoo):
    cached = zoo.resolve_weights("tiny")
    with open(cached, "ab") as f:
        f.write(b"\0")
    with pytest.raises(BlockError) as err:
        loaded(model="tiny")
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("weights_changed", "det", "model")
    assert problem.params["actual"] == zoo.sha256_of(cached) != problem.params["expected"]


def test_crafted_checkpoint_never_runs(zoo_home, evil_pt):
    evil, marker = evil_pt
    manifest = {"id": "evil", "classes": ["x"], "weights": {"file": str(evil)}}
    (Path(zoo.bundled_zoo_dir()) / "evil.yaml").write_text(yaml.safe_dump(manifest))
    with pytest.raises(BlockError) as err:
        loaded(model="evil")
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("weights_unsafe", "det", "model")
    assert not marker.exists()


def test_cuda_without_gpu_is_a_clear_error(tiny_zoo, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(BlockError) as err:
        loaded(model="tiny", device="cuda:1")
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("detector_device_unavailable", "det", "device")
    assert loaded(model="tiny", device="auto")._device == "cpu"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"imgsz": 100}, "imgsz"),
        ({"device": "gpu"}, "device"),
        ({"conf": 1.5}, "conf"),
        ({"model": "../etc/passwd"}, "model"),
    ],
)
def test_config_rejects_bad_values(bad, field):
    with pytest.raises(ValueError, match=f"YoloConfig\n{field}\n"):
        YoloConfig(**bad)


def test_two_streams_share_one_loaded_model(tiny_zoo):
    """Cameras of one `workbench serve` each compile the pipeline; the weights are loaded once for all of them."""
    first, second = loaded(model="tiny", conf=0.0, imgsz=320), loaded(model="tiny", conf=0.0, imgsz=320, max_det=3)
    assert first._model is second._model and first._lock is second._lock
    assert len(detect(second)) == 3 and len(detect(first)) > 3  # each keeps its own settings
