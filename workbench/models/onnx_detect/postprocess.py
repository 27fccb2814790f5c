"""From decoded candidates to the pipeline's detections: thresholds per class, NMS (OpenCV's), frame coordinates.

`Selection` holds a node's choices (classes to keep, confidence per class, IoU, class-agnostic or per-class NMS, at
most so many boxes); it is built once per node and used for every frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import supervision as sv

from workbench.core.class_names import class_key
from workbench.models.onnx_detect.candidates import Candidates
from workbench.models.onnx_detect.preprocess import Placement

MAX_CANDIDATES = 30000  # as ultralytics: boxes past this many (lowest scores) never reach NMS


class UnknownClasses(ValueError):
    """Class names a setting asks for that the model does not detect."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


@dataclass(frozen=True)
class Selection:
    """Which candidates become detections: per-class thresholds (inf = class not kept), IoU, NMS mode, a cap."""

    thresholds: np.ndarray  # (classes,) float32
    iou: float
    agnostic: bool
    max_det: int

    @classmethod
    def build(cls, names: Sequence[str], conf: float, keep: Sequence[str] = (),
              class_conf: Mapping[str, float] | None = None, iou: float = 0.5, agnostic: bool = True,
              max_det: int = 300) -> Selection:
        """Thresholds for `names` (the model's classes in id order); names compare like `class_key` everywhere.
        UnknownClasses lists the names of `keep` / `class_conf` the model does not have (keep's first)."""
        class_conf = class_conf or {}
        known = {class_key(n) for n in names}
        unknown = [n for n in (*keep, *class_conf) if class_key(n) not in known]
        if unknown:
            raise UnknownClasses(list(dict.fromkeys(unknown)))
        thresholds = np.full(len(names), conf, np.float32)
        for name, value in class_conf.items():
            thresholds[[i for i, n in enumerate(names) if class_key(n) == class_key(name)]] = value
        if keep:
            wanted = {class_key(n) for n in keep}
            thresholds[[i for i, n in enumerate(names) if class_key(n) not in wanted]] = np.inf
        return cls(thresholds, iou, agnostic, max_det)


def non_max_suppression(found: Candidates, selection: Selection) -> np.ndarray:
    """Indices of the candidates that survive NMS (OpenCV's), best score first, at most `max_det`."""
    if not len(found):
        return np.zeros(0, np.int64)
    order = np.arange(len(found))
    if len(found) > MAX_CANDIDATES:
        order = np.argsort(-found.scores, kind="stable")[:MAX_CANDIDATES]
    xyxy = found.xyxy[order].astype(np.float64)
    xywh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1)
    scores = found.scores[order].astype(np.float32)
    if selection.agnostic:
        kept = cv2.dnn.NMSBoxes(xywh, scores, 0.0, selection.iou)
    else:
        kept = cv2.dnn.NMSBoxesBatched(xywh, scores, found.class_id[order].astype(np.int32), 0.0, selection.iou)
    return order[np.asarray(kept, dtype=np.int64).reshape(-1)[: selection.max_det]]


def to_detections(found: Candidates, selection: Selection, placement: Placement,
                  names: Sequence[str]) -> sv.Detections:
    """NMS, then an `sv.Detections` in frame pixels with class_id, confidence and `data["class_name"]`."""
    keep = non_max_suppression(found, selection)
    class_id = found.class_id[keep].astype(int)
    return sv.Detections(
        xyxy=placement.to_frame(found.xyxy[keep]).reshape(-1, 4),
        confidence=found.scores[keep].astype(np.float32),
        class_id=class_id,
        data={"class_name": np.array([names[i] for i in class_id], dtype=str)},
    )
