"""NanoDet decoding on hand-built heads with known boxes (split and packed layouts), and refused layouts."""

from __future__ import annotations

import numpy as np
import pytest
from onnx_support import constant_model, nanodet_outputs

from workbench.core.errors import BlockError
from workbench.models.manifest_parts import DecoderSpec, PreprocessSpec
from workbench.models.onnx_detect import ModelSpec, Selection, build_detector, open_session
from workbench.models.onnx_detect.candidates import LayoutMismatch
from workbench.models.onnx_detect.nanodet import nanodet_layout

NAMES = [f"c{i}" for i in range(80)]
# stride 16, cell (10, 5): centre (168, 88); sides 2, 3, 4, 1 bins x 16 px -> (136, 40, 232, 104) in 416 px input
# stride 8, cell (3, 40): centre (28, 324); sides 1, 1, 1, 1 bins x 8 px -> (20, 316, 36, 332)
HITS = [(16, 10, 5, 2, 0.9, (2, 3, 4, 1)), (8, 3, 40, 0, 0.6, (1, 1, 1, 1))]
EXPECTED_INPUT = np.array([[136, 40, 232, 104], [20, 316, 36, 332]], np.float32)


@pytest.fixture(params=["split", "packed"])
def head(request, tmp_path):
    packed = request.param == "packed"
    return constant_model(tmp_path / "nanodet.onnx", nanodet_outputs(HITS, packed=packed))


def test_known_boxes_come_back_in_frame_pixels(head):
    detector = build_detector(open_session(head), ModelSpec("nanodet", tuple(NAMES)))
    assert detector.layout.strides == (8, 16, 32) and detector.layout.reg_max == 10
    frame = np.zeros((576, 832, 3), np.uint8)  # stretch: x scaled by 2, y by 576/416
    dets = detector.detect(frame, Selection.build(NAMES, conf=0.3))
    scale = np.array([2.0, 576 / 416, 2.0, 576 / 416], np.float32)
    np.testing.assert_allclose(dets.xyxy, EXPECTED_INPUT * scale, atol=0.01)
    np.testing.assert_allclose(dets.confidence, [0.9, 0.6], atol=1e-6)
    assert dets.class_id.tolist() == [2, 0] and dets.data["class_name"].tolist() == ["c2", "c0"]


def test_thresholds_class_subset_and_per_class_conf(head):
    detector = build_detector(open_session(head), ModelSpec("nanodet", tuple(NAMES)))
    frame = np.zeros((416, 416, 3), np.uint8)
    assert len(detector.detect(frame, Selection.build(NAMES, conf=0.7))) == 1
    assert detector.detect(frame, Selection.build(NAMES, conf=0.3, keep=["C0"])).class_id.tolist() == [0]
    per_class = Selection.build(NAMES, conf=0.3, class_conf={"c2": 0.95})
    assert detector.detect(frame, per_class).class_id.tolist() == [0]


def test_center_offset_zero_moves_anchor_points(tmp_path):
    path = constant_model(tmp_path / "plus.onnx", nanodet_outputs(HITS[:1]))
    spec = ModelSpec("nanodet", tuple(NAMES), PreprocessSpec(resize="stretch", color="bgr"),
                     DecoderSpec(strides=(8, 16, 32), reg_max=10, center_offset=0.0))
    dets = build_detector(open_session(path), spec).detect(np.zeros((416, 416, 3), np.uint8),
                                                           Selection.build(NAMES, conf=0.3))
    np.testing.assert_allclose(dets.xyxy, [EXPECTED_INPUT[0] - 8], atol=0.01)


def test_layout_is_read_from_the_shapes():
    shapes = [(1, 2704, 80), (1, 2704, 44), (1, 676, 80), (1, 676, 44), (1, 169, 80), (1, 169, 44)]
    layout = nanodet_layout(shapes, (416, 416), 80, None)
    assert (layout.strides, layout.reg_max, layout.classes) == ((8, 16, 32), 10, 80)
    assert layout.cls_outputs == (0, 2, 4) and layout.reg_outputs == (1, 3, 5)
    assert layout.centers.shape == (2704 + 676 + 169, 2)
    swapped = nanodet_layout([shapes[1], shapes[0], *shapes[2:]], (416, 416), 80, None)
    assert swapped.cls_outputs == (1, 2, 4)
    assert nanodet_layout([(1, 3549, 112)], (416, 416), 80, None).reg_max == 7  # packed, NanoDet-Plus style


@pytest.mark.parametrize(("shapes", "classes", "decoder", "found_classes"), [
    ([(1, 84, 8400)], 80, None, None),  # a YOLO export given as NanoDet
    ([(1, 2704, 80), (1, 2704, 44), (1, 676, 80), (1, 676, 44), (1, 169, 80), (1, 169, 44)], 3, None, 80),
    ([(1, 2704, 80), (1, 2704, 44), (1, 676, 80), (1, 676, 44)], 80, DecoderSpec(reg_max=10), None),  # no stride 32
    ([(1, 2704, 80), (1, 2704, 32), (1, 676, 80), (1, 676, 32), (1, 169, 80), (1, 169, 32)], 80,
     DecoderSpec(reg_max=10), None),  # reg_max 7 in the file
    ([(1, 1000, 112)], 80, None, None),  # packed, wrong number of anchors
])
def test_outputs_that_do_not_fit_are_refused(shapes, classes, decoder, found_classes):
    with pytest.raises(LayoutMismatch) as err:
        nanodet_layout(shapes, (416, 416), classes, decoder)
    assert err.value.found_classes == found_classes


def test_a_refused_file_is_named_with_what_was_expected(tmp_path):
    path = constant_model(tmp_path / "yolo-like.onnx", [np.zeros((1, 84, 2100), np.float32)], (1, 3, 320, 320))
    with pytest.raises(BlockError) as err:
        build_detector(open_session(path), ModelSpec("nanodet", tuple(NAMES)), node="det")
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("onnx_outputs_mismatch", "det", "model")
    assert problem.params["path"] == str(path) and problem.params["found"] == "[1, 84, 2100]"
    assert "NanoDet" in problem.message()
