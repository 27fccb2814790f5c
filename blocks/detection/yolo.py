"""Detect objects with an ultralytics YOLO model from the model zoo."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
import supervision as sv
from pydantic import Field

from workbench.core.block import Block, BlockConfig
from workbench.core.class_names import class_key
from workbench.core.errors import BlockError
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port
from workbench.models import zoo


class YoloConfig(BlockConfig):
    model: str = Field(
        "yolo11n", pattern=zoo.MODEL_ID_PATTERN,
        description="Model id from the model zoo (see `workbench zoo list`; add one with `workbench zoo import`)",
    )
    classes: tuple[str, ...] = Field((), max_length=1000,
                                     description="Class names to keep, e.g. [car, truck]; empty keeps every class")
    conf: float = Field(0.25, ge=0.0, le=1.0, description="Minimum confidence of a detection (0-1)")
    iou: float = Field(0.7, ge=0.0, le=1.0, description="Overlap (IoU) above which duplicate boxes are merged (0-1)")
    imgsz: int = Field(640, ge=32, le=4096, multiple_of=32,
                       description="Inference size in pixels (multiple of 32); smaller is faster, larger finds small "
                                   "objects")
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda|cuda:\d+)$",
                        description="Where to run: auto (GPU if there is one, else CPU), cpu, cuda or cuda:N")
    max_det: int = Field(300, ge=1, le=10000, description="At most this many detections per frame")


def _pick_device(requested: str, node: str) -> str:
    import torch

    cuda = torch.cuda.is_available()
    if requested == "auto":
        return "cuda:0" if cuda else "cpu"
    if requested == "cpu":
        return "cpu"
    index = int(requested.split(":")[1]) if ":" in requested else 0
    count = torch.cuda.device_count() if cuda else 0
    if index >= count:
        raise BlockError("detector_device_unavailable", node, "device", device=requested, gpus=count)
    return f"cuda:{index}"


class YoloDetector(Block[YoloConfig]):
    """Find objects (people, cars, ...) in each frame with a YOLO model from the model zoo."""

    type_id = "detection/yolo@v1"
    Config = YoloConfig
    inputs = (Port("image", Kind.IMAGE, description="Frame to search"),)
    outputs = (Port("detections", Kind.DETECTIONS, description="Boxes with class and confidence"),)

    @classmethod
    def output_classes(cls, config: YoloConfig, upstream: frozenset[str] | None) -> frozenset[str] | None:
        """The chosen classes, else every class of the model's manifest (None when the model is unknown here)."""
        if config.classes:
            return frozenset(config.classes)
        try:
            return frozenset(zoo.get_model(config.model).classes) or None
        except BlockError:
            return None

    @classmethod
    def model_fits(cls, manifest: zoo.ModelManifest) -> bool:
        """Models ultralytics runs (.pt weights, or its own exports); ONNX files decoded without torch do not."""
        return manifest.format == "ultralytics"

    def __init__(self, config: YoloConfig, node_id: str = "") -> None:
        super().__init__(config, node_id)
        self._model: Any = None
        self._names: dict[int, str] = {}
        self._class_ids: list[int] | None = None
        self._device = "cpu"
        self._lock = threading.Lock()  # replaced by the shared model's own lock on load

    def load(self) -> None:
        """Resolve the weights through the zoo (local only, checksum checked), load them safely, once."""
        cfg = self.config
        manifest = zoo.get_model(cfg.model, self.node_id, "model")
        path = zoo.resolve_weights(cfg.model, self.node_id, "model")
        self._device = _pick_device(cfg.device, self.node_id)
        shared = zoo.shared_detector(path, self.node_id, "model", self._device)  # one per process, any streams
        model, self._lock = shared.model, shared.lock
        names = {int(k): str(v) for k, v in dict(model.names).items()}
        if len(manifest.classes) == len(names):  # the manifest may rename the checkpoint's classes (zoo import)
            names = dict(enumerate(manifest.classes))
        if cfg.classes:
            by_name = {class_key(v): k for k, v in names.items()}
            unknown = [c for c in cfg.classes if class_key(c) not in by_name]
            if unknown:
                raise BlockError("detector_unknown_class", self.node_id, "classes", classes=", ".join(unknown),
                                 model=cfg.model, known=", ".join(names.values()))
            self._class_ids = sorted({by_name[class_key(c)] for c in cfg.classes})
        self._names = names
        self._model = model
        self._predict(np.zeros((cfg.imgsz, cfg.imgsz, 3), dtype=np.uint8))  # warm up now, not on the first frame

    def _predict(self, image: np.ndarray) -> Any:
        cfg = self.config
        with self._lock:
            return self._model.predict(
                image, conf=cfg.conf, iou=cfg.iou, imgsz=cfg.imgsz, device=self._device,
                max_det=cfg.max_det, classes=self._class_ids, verbose=False,
            )[0]

    def process(self, state: None, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if self._model is None:
            raise RuntimeError("YoloDetector.process() called before load()")
        dets = sv.Detections.from_ultralytics(self._predict(inputs["image"].image))
        class_id = dets.class_id if dets.class_id is not None else np.zeros(len(dets), dtype=int)
        dets.class_id = class_id.astype(int)
        if dets.confidence is None:
            dets.confidence = np.ones(len(dets), dtype=np.float32)
        dets.data["class_name"] = np.array([self._names.get(int(i), str(int(i))) for i in class_id], dtype=str)
        return {"detections": dets}
