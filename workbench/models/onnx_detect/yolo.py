"""Decode an ultralytics YOLO detection export without torch (numpy, vectorised).

Two layouts: the usual `[1, 4 + nc, N]` (centre x, centre y, width, height in input pixels, then one score per class,
no objectness; needs NMS) and the end-to-end `[1, K, 6]` (x1, y1, x2, y2, score, class; YOLO26/YOLOv10 exports).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.models.onnx_detect.candidates import Candidates, LayoutMismatch

EXPECTED = "one output [1, 4 + classes, N] (an ultralytics YOLO detection export) or [1, N, 6] (end-to-end export)"


@dataclass(frozen=True)
class YoloLayout:
    """Which of the two YOLO output layouts the file has and how many classes it scores."""

    end2end: bool
    classes: int | None  # None: an end-to-end export does not say


def yolo_layout(shapes: list[tuple[int, ...]], classes: int | None, end2end_hint: bool = False) -> YoloLayout:
    """The layout of a model with these (concrete) output shapes; LayoutMismatch when they do not fit YOLO."""
    if len(shapes) != 1 or len(shapes[0]) != 3 or shapes[0][0] != 1:
        raise LayoutMismatch(_shapes(shapes), EXPECTED)
    _, rows, cols = shapes[0]
    if cols == 6 and (end2end_hint or rows > cols):  # [1, K, 6]; a raw 2-class export is [1, 6, N]
        return YoloLayout(True, None)
    if rows <= 4 or cols <= rows:  # raw exports have far more anchors than 4 + classes
        raise LayoutMismatch(_shapes(shapes), EXPECTED)
    if classes is not None and rows - 4 != classes:
        raise LayoutMismatch(_shapes(shapes), f"[1, 4 + {classes} classes, N]", found_classes=rows - 4)
    return YoloLayout(False, rows - 4)


def _shapes(shapes: list[tuple[int, ...]]) -> str:
    return "; ".join(str(list(s)) for s in shapes) or "none"


def decode_yolo(outputs: list[np.ndarray], layout: YoloLayout, thresholds: np.ndarray) -> Candidates:
    """Boxes (input pixels) whose best class reaches that class's threshold (`thresholds[c]`, inf = never)."""
    out = outputs[0][0]
    if layout.end2end:
        class_id = out[:, 5].astype(np.int64)
        valid = (class_id >= 0) & (class_id < len(thresholds))
        keep = np.flatnonzero(valid)
        keep = keep[out[keep, 4] >= thresholds[class_id[keep]]]
        return Candidates(out[keep, :4].astype(np.float32), out[keep, 4].astype(np.float32), class_id[keep])
    scores = out[4:]  # (nc, N)
    best = scores.max(axis=0)
    keep = np.flatnonzero(best >= thresholds.min())
    class_id = scores[:, keep].argmax(axis=0)
    passed = best[keep] >= thresholds[class_id]
    keep, class_id = keep[passed], class_id[passed]
    cx, cy, w, h = out[:4, keep]
    xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1).astype(np.float32)
    return Candidates(xyxy, best[keep].astype(np.float32), class_id.astype(np.int64))
