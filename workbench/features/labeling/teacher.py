"""A teacher: a trained detector whose boxes become pre-labels in Label Studio or pseudo-labels of unlabelled clips.

    teacher = open_teacher("nanodet-m-416", conf=0.4, class_conf={"truck": 0.5})
    boxes = teacher.detect(bgr_image)            # [Box(teacher class, x1, y1, x2, y2, score)], class-agnostic NMS

Any model text `workbench train --base` takes but an architecture (one resolver:
workbench.features.training.model_ref): a model-zoo id of either runtime — ultralytics weights, or an ONNX model the
zoo runs without torch (format nanodet or yolo, e.g. the bundled `nanodet-m-416`) — models:/NAME@ALIAS,
models:/NAME/VERSION, or a .pt/.onnx file. `conf` is every class's threshold, `class_conf` a teacher class's own;
overlapping boxes of different classes are one object (NMS across classes), so a truck is not also a car.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.features.labeling.boxes import Box
from workbench.features.labeling.class_map import check_teacher_classes

NODE = "labelstudio"
DEFAULT_IOU = 0.5


@dataclass(frozen=True)
class Teacher:
    """An opened model: what was asked (`model`), its record label (`version` = label@sha256[:12]), its classes in
    id order, its thresholds, and `detect(image)` -> boxes in its own class names."""

    model: str
    version: str
    names: tuple[str, ...]
    detect: Callable[[np.ndarray], list[Box]]
    conf: float
    class_conf: dict[str, float] = field(default_factory=dict)
    iou: float = DEFAULT_IOU
    runtime: str = "ultralytics"  # or the ONNX format the zoo decodes without torch (nanodet, yolo)
    sha256: str = ""  # of the weights file

    def provenance(self) -> dict[str, object]:
        """What a record of this teacher's labels keeps: the model, its file's hash, thresholds and NMS."""
        return {"teacher": self.model, "teacher_version": self.version, "teacher_sha256": self.sha256,
                "runtime": self.runtime, "conf": self.conf,
                "class_conf": dict(self.class_conf), "iou": self.iou, "nms": "class-agnostic"}


def _zoo_onnx_manifest(ref_kind: str, source: str, field_name: str):
    """The zoo manifest when `source` is a zoo id the zoo runs with onnx_detect (not ultralytics), else None."""
    if ref_kind != "zoo":
        return None
    from workbench.models.manifest_parts import ONNX_FORMATS
    from workbench.models.zoo import get_model

    manifest = get_model(source, NODE, field_name)
    return manifest if manifest.format in ONNX_FORMATS else None


Opened = tuple[tuple[str, ...], Callable[[np.ndarray], list[Box]], dict[str, float]]


def _thresholds(class_conf: Mapping[str, float], names: tuple[str, ...], model: str) -> dict[str, float]:
    """`class_conf` with the teacher's spelling of each class; an unknown class is a problem naming --class-conf."""
    spelled = check_teacher_classes(list(class_conf), names, model, "--class-conf")
    return {spelled[k]: float(v) for k, v in class_conf.items()}


def _onnx_detect(manifest, path: Path, conf: float, class_conf: Mapping[str, float], iou: float, model: str,
                 field_name: str) -> Opened:
    from workbench.models import onnx_detect

    spec = onnx_detect.ModelSpec(manifest.format, tuple(manifest.classes), manifest.preprocess, manifest.decoder)
    session = onnx_detect.open_session(path, "auto", 0, NODE, field_name)
    detector = onnx_detect.build_detector(session, spec, None, NODE, field_name, model)
    thresholds = _thresholds(class_conf, detector.names, model)
    selection = onnx_detect.Selection.build(detector.names, conf, class_conf=thresholds, iou=iou, agnostic=True)

    def detect(image: np.ndarray) -> list[Box]:
        found = detector.detect(image, selection)
        return [Box(str(name), *map(float, xyxy), score=float(score))
                for xyxy, name, score in zip(found.xyxy, found.data["class_name"], found.confidence, strict=True)]

    return detector.names, detect, thresholds


def _ultralytics_detect(path: Path, conf: float, class_conf: Mapping[str, float], iou: float, model: str,
                        field_name: str) -> Opened:
    from workbench.models.zoo import load_detector

    detector = load_detector(path, node=NODE, field=field_name)
    names = detector.names
    ordered = tuple(str(names[k]) for k in sorted(names)) if isinstance(names, dict) else tuple(map(str, names))
    thresholds = _thresholds(class_conf, ordered, model)
    lowest = min([conf, *thresholds.values()])

    def detect(image: np.ndarray) -> list[Box]:
        r = detector.predict(image, conf=lowest, iou=iou, agnostic_nms=True, verbose=False)[0]
        boxes = [Box(str(names[int(c)]), *map(float, xyxy), score=float(s))
                 for xyxy, c, s in zip(r.boxes.xyxy.tolist(), r.boxes.cls.tolist(), r.boxes.conf.tolist(), strict=True)]
        return [b for b in boxes if b.score is not None and b.score >= thresholds.get(b.cls, conf)]

    return ordered, detect, thresholds


def open_teacher(model: str, conf: float = 0.25, class_conf: Mapping[str, float] | None = None,
                 iou: float = DEFAULT_IOU, field_name: str = "--model") -> Teacher:
    """Open `model` (see the module docstring); a `class_conf` class the model does not detect is a problem."""
    from workbench.features.training.model_ref import resolve_model
    from workbench.models.zoo import sha256_of

    ref = resolve_model(model, field=field_name, node=NODE)
    path = Path(ref.weights)
    manifest = _zoo_onnx_manifest(ref.kind, ref.source, field_name)
    if manifest is not None:
        names, detect, thresholds = _onnx_detect(manifest, path, conf, class_conf or {}, iou, model, field_name)
    else:
        names, detect, thresholds = _ultralytics_detect(path, conf, class_conf or {}, iou, model, field_name)
    digest = sha256_of(path)
    return Teacher(model=model, version=f"{ref.label}@{digest[:12]}", names=tuple(names), detect=detect, conf=conf,
                   class_conf=thresholds, iou=iou, runtime=manifest.format if manifest is not None else "ultralytics",
                   sha256=digest)
