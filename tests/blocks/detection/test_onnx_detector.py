"""ONNX detector block on a YOLO export (untrained: structure, settings, refusals, one shared session)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import supervision as sv
import yaml
from onnx_support import export_onnx
from support import make_frame

from blocks.detection.onnx_detector import OnnxDetector, OnnxDetectorConfig
from workbench.core.errors import BlockError
from workbench.core.frames import read_only
from workbench.models import zoo

COCO = yaml.safe_load((Path(__file__).resolve().parents[3] / "model_zoo" / "yolo11n.yaml").read_text())["classes"]
FRAME = replace(make_frame(3), image=read_only(np.random.default_rng(0).integers(0, 256, (360, 640, 3), np.uint8)))


@pytest.fixture(scope="module")
def exports(untrained_pt: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The untrained yolo11n exported at a fixed 320 px and with a dynamic input size."""
    out = tmp_path_factory.mktemp("exports")
    return {"fixed": export_onnx(untrained_pt, out / "fixed", 320),
            "dynamic": export_onnx(untrained_pt, out / "dynamic", 320, dynamic=True)}


@pytest.fixture
def onnx_zoo(zoo_home: Path, exports: dict[str, Path], untrained_pt: Path) -> Path:
    """Models `tiny` (fixed 320 px, format yolo, COCO names), `tiny-dyn` (dynamic input), `tiny-pt` (a .pt)."""
    zoo.import_weights(exports["fixed"], "tiny", classes=COCO, format="yolo")
    zoo.import_weights(exports["dynamic"], "tiny-dyn", classes=COCO, format="yolo")
    zoo.import_weights(untrained_pt, "tiny-pt")
    return zoo_home


def loaded(**config) -> OnnxDetector:
    block = OnnxDetector(OnnxDetectorConfig(**config), "det")
    block.load()
    return block


def detect(block: OnnxDetector, frame=FRAME) -> sv.Detections:
    before = frame.image.copy()
    dets = block.process(block.start(None), frame, {"image": frame})["detections"]
    assert np.array_equal(frame.image, before)
    return dets


def assert_well_formed(dets: sv.Detections, names=COCO, size=(640, 360)) -> None:
    n = len(dets)
    assert dets.xyxy.shape == (n, 4) and dets.xyxy.dtype == np.float32
    assert dets.class_id.shape == (n,) and dets.class_id.dtype.kind == "i"
    assert dets.confidence.shape == (n,) and ((dets.confidence >= 0) & (dets.confidence <= 1)).all()
    assert dets.data["class_name"].shape == (n,) and dets.data["class_name"].dtype.kind == "U"
    assert [names[i] for i in dets.class_id] == dets.data["class_name"].tolist()
    assert (dets.xyxy >= 0).all()
    assert (dets.xyxy[:, [0, 2]] <= size[0]).all() and (dets.xyxy[:, [1, 3]] <= size[1]).all()
    assert (np.diff(dets.confidence) <= 0).all()  # best first


def test_detects_with_an_imported_onnx_export(onnx_zoo):
    # an untrained model scores everything near zero: conf 0 keeps its boxes so the output has rows to check
    dets = detect(loaded(model="tiny", conf=0.0, max_det=7))
    assert len(dets) == 7
    assert_well_formed(dets)
    empty = detect(loaded(model="tiny", conf=1.0))
    assert len(empty) == 0
    assert_well_formed(empty)


def test_class_subset_and_per_class_confidence(onnx_zoo):
    everything = detect(loaded(model="tiny", conf=0.0, max_det=50, agnostic_nms=False))
    top = everything.data["class_name"][0]
    kept = detect(loaded(model="tiny", conf=0.0, max_det=50, classes=[top.upper()], agnostic_nms=False))
    assert len(kept) and set(kept.data["class_name"]) == {top}
    np.testing.assert_allclose(kept.xyxy, everything.xyxy[everything.data["class_name"] == top][:len(kept)])
    raised = detect(loaded(model="tiny", conf=0.0, max_det=50, class_conf={top: 1.0}, agnostic_nms=False))
    assert set(raised.data["class_name"]) == set(everything.data["class_name"]) - {top}
    assert_well_formed(raised)
    lowered = detect(loaded(model="tiny", conf=1.0, max_det=50, class_conf={top: 0.0}, agnostic_nms=False))
    np.testing.assert_array_equal(lowered.xyxy, kept.xyxy)


@pytest.mark.parametrize(("config", "field"), [({"classes": ["car", "unicorn"]}, "classes"),
                                                ({"class_conf": {"dragon": 0.5}}, "class_conf")])
def test_unknown_class_names_the_field(onnx_zoo, config, field):
    with pytest.raises(BlockError) as err:
        loaded(model="tiny", **config)
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("detector_unknown_class", "det", field)
    assert "car" not in problem.params["classes"] and "person" in problem.params["known"]


def test_a_pt_model_is_refused_with_the_way_out(onnx_zoo):
    with pytest.raises(BlockError) as err:
        loaded(model="tiny-pt")
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("onnx_model_not_onnx", "det", "model")
    assert "--format yolo" in problem.message()


def test_an_ultralytics_onnx_import_runs_here_too(zoo_home, exports):
    zoo.import_weights(exports["fixed"], "plain")  # format ultralytics, names from the export's metadata
    dets = detect(loaded(model="plain", conf=0.0, max_det=3))
    assert len(dets) == 3
    assert_well_formed(dets, names=[str(i) for i in range(80)])


def test_size_only_for_models_that_allow_it(onnx_zoo):
    with pytest.raises(BlockError) as err:
        loaded(model="tiny", imgsz=640)
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("onnx_size_fixed", "det", "imgsz")
    assert (problem.params["width"], problem.params["height"]) == (320, 320)
    assert loaded(model="tiny", imgsz=320)._detector.input_size == (320, 320)
    assert loaded(model="tiny-dyn")._detector.input_size == (320, 320)  # the export's own size (metadata)
    block = loaded(model="tiny-dyn", imgsz=256, conf=0.0, max_det=5)
    assert block._detector.input_size == (256, 256)
    assert_well_formed(detect(block))


def test_cuda_where_onnxruntime_has_none_is_a_clear_error(onnx_zoo):
    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this machine's onnxruntime has CUDA")
    with pytest.raises(BlockError) as err:
        loaded(model="tiny", device="cuda:1")
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("onnx_cuda_unavailable", "det", "device")
    assert loaded(model="tiny", device="auto")._detector.session.provider == "CPUExecutionProvider"


def test_nodes_share_one_session_and_keep_their_settings(onnx_zoo):
    first, second = loaded(model="tiny", conf=0.0), loaded(model="tiny", conf=0.0, max_det=3)
    assert first._detector is second._detector
    assert len(detect(second)) == 3 and len(detect(first)) > 3
    assert loaded(model="tiny", conf=0.0, threads=1)._detector is not first._detector  # other session settings


def test_changed_weights_are_refused(onnx_zoo):
    cached = zoo.resolve_weights("tiny")
    with open(cached, "ab") as f:
        f.write(b"\0")
    with pytest.raises(BlockError) as err:
        loaded(model="tiny")
    assert (err.value.problems[0].code, err.value.problems[0].field) == ("weights_changed", "model")


@pytest.mark.parametrize(("bad", "field"), [
    ({"imgsz": 100}, "imgsz"), ({"device": "gpu"}, "device"), ({"conf": 1.5}, "conf"),
    ({"class_conf": {"car": 2}}, "class_conf.car"), ({"model": "../etc/passwd"}, "model"), ({"threads": -1}, "threads"),
])
def test_config_rejects_bad_values(bad, field):
    with pytest.raises(ValueError, match=f"OnnxDetectorConfig\n{field}\n"):
        OnnxDetectorConfig(**bad)


def test_output_classes_follow_the_manifest(onnx_zoo):
    assert OnnxDetector.output_classes(OnnxDetectorConfig(model="tiny"), None) == frozenset(COCO)
    assert OnnxDetector.output_classes(OnnxDetectorConfig(model="tiny", classes=["car"]), None) == {"car"}
    assert OnnxDetector.output_classes(OnnxDetectorConfig(model="nope"), None) is None
