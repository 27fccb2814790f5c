"""The YOLO ONNX decoder (numpy, no torch) against ultralytics' own predictions for the same exported model."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import supervision as sv
from onnx_support import RECT_CLASSES, export_onnx, rectangles_image, train_rectangles

from workbench.models.onnx_detect import ModelSpec, Selection, build_detector, open_session
from workbench.models.onnx_detect.yolo import yolo_layout

SIZE = 64
CONF, IOU = 0.05, 0.7  # ultralytics' default IoU; per-class NMS as ultralytics does by default
# frames of other sizes and aspect ratios than the training images, so letterbox padding and scaling are exercised
FRAME_SIZES = [(64, 64), (96, 64), (64, 112), (200, 150), (333, 187), (90, 250)]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(last.pt, its ONNX export at 64 px) of a yolo11n trained for ~1.5 min to find red and cyan rectangles."""
    root = tmp_path_factory.mktemp("rectangles")
    with pytest.MonkeyPatch.context() as mp:  # ultralytics' settings and fonts in a temporary home
        mp.setenv("WORKBENCH_HOME", str(root / "home"))
        pt = train_rectangles(root / "data", size=SIZE)
        return pt, export_onnx(pt, root / "export", SIZE)


def frames() -> list[tuple[np.ndarray, np.ndarray]]:
    """(BGR frame, true boxes xyxy in frame pixels) for rectangles drawn on unseen backgrounds."""
    rng = np.random.default_rng(7)
    out = []
    for _ in range(3):
        for width, height in FRAME_SIZES:
            image, labels = rectangles_image(rng, SIZE)
            frame = cv2.resize(image, (width, height), interpolation=cv2.INTER_NEAREST)
            truth = np.array([[(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width,
                               (cy + h / 2) * height] for _, cx, cy, w, h in labels], np.float32)
            out.append((frame, truth))
    return out


@pytest.mark.slow
def test_same_boxes_as_ultralytics_on_the_same_export(trained):
    from ultralytics import YOLO

    _, onnx_file = trained
    detector = build_detector(open_session(onnx_file), ModelSpec("yolo"))
    assert detector.names == RECT_CLASSES and detector.input_size == (SIZE, SIZE)
    selection = Selection.build(detector.names, CONF, iou=IOU, agnostic=False)
    reference = YOLO(str(onnx_file), task="detect")  # ultralytics runs the same file (its own pre/post-processing)
    compared = found = 0
    for frame, truth in frames():
        ours = detector.detect(frame, selection)
        theirs = sv.Detections.from_ultralytics(reference.predict(frame, imgsz=SIZE, conf=CONF, iou=IOU,
                                                                  verbose=False)[0])
        assert len(ours) == len(theirs), frame.shape
        np.testing.assert_allclose(ours.xyxy, theirs.xyxy, atol=0.01)
        np.testing.assert_allclose(ours.confidence, theirs.confidence, atol=1e-5)
        assert ours.class_id.tolist() == theirs.class_id.tolist()
        assert ours.data["class_name"].tolist() == theirs.data["class_name"].tolist()
        compared += len(ours)
        found += bool(len(ours)) and sv.box_iou_batch(ours.xyxy[:1], truth).max() > 0.5
    assert compared >= 20  # real boxes, not an empty comparison
    assert found >= 0.6 * len(FRAME_SIZES) * 3  # the best box sits on a drawn rectangle in most frames


def test_layouts_of_yolo_exports():
    assert yolo_layout([(1, 84, 8400)], 80).classes == 80
    assert yolo_layout([(1, 6, 2100)], 2).classes == 2  # two classes: still the raw layout
    assert yolo_layout([(1, 300, 6)], None).end2end  # YOLO26 / YOLOv10 end-to-end export
