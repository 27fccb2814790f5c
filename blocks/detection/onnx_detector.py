"""Detect objects with an ONNX model from the model zoo (NanoDet, ultralytics YOLO exports) on onnxruntime, no torch."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Annotated, Any

import numpy as np
from pydantic import Field

from workbench.core.block import Block, BlockConfig, StreamContext
from workbench.core.class_names import class_key
from workbench.core.errors import BlockError
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port
from workbench.models import onnx_detect, zoo
from workbench.models.batching import Batcher, Seat

Confidence = Annotated[float, Field(ge=0.0, le=1.0)]


class OnnxDetectorConfig(BlockConfig):
    model: str = Field(
        "nanodet-m-416", pattern=zoo.MODEL_ID_PATTERN,
        description="Model id from the model zoo, an ONNX model (see `workbench zoo list`; add one with "
                    "`workbench zoo import FILE.onnx --format yolo|nanodet --classes ...`)",
    )
    classes: tuple[str, ...] = Field((), max_length=1000,
                                     description="Class names to keep, e.g. [person, car]; empty keeps every class")
    conf: float = Field(0.35, ge=0.0, le=1.0, description="Minimum confidence of a detection (0-1)")
    class_conf: dict[str, Confidence] = Field(
        default_factory=dict, max_length=1000,
        description="Minimum confidence per class, e.g. {person: 0.3, truck: 0.5}; other classes use conf")
    iou: float = Field(0.5, ge=0.0, le=1.0, description="Overlap (IoU) above which duplicate boxes are merged (0-1)")
    agnostic_nms: bool = Field(
        True, description="Merge overlapping boxes whatever their class (one box for a vehicle scored both car and "
                          "truck); off: only boxes of the same class are merged")
    max_det: int = Field(300, ge=1, le=10000, description="At most this many detections per frame")
    imgsz: int | None = Field(
        None, ge=32, le=4096, multiple_of=32,
        description="Inference size in pixels (multiple of 32), only for models whose input size is not fixed; "
                    "empty = the model's own size")
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda|cuda:\d+)$",
                        description="Where to run: auto (GPU if onnxruntime has CUDA, else CPU), cpu, cuda or cuda:N")
    threads: int = Field(0, ge=0, le=256,
                         description="CPU threads of the model; 0 = onnxruntime's default (one per core, or the "
                                     "batch task's share)")
    max_batch: int = Field(
        8, ge=1, le=64,
        description="When several cameras share this model (workbench serve), at most this many of their frames go "
                    "through the model in one call; 1 = every frame on its own (a model that takes one frame per "
                    "call is never batched)")
    batch_wait_ms: int = Field(
        15, ge=0, le=1000,
        description="How long (ms) a camera's frame may wait for the other cameras' frames to fill a batch; 0 = never "
                    "wait. A single camera or video never waits")


class _StreamSeat:
    """A stream's seat at its model's batcher (None: the stream runs its frames alone)."""

    def __init__(self, seat: Seat | None) -> None:
        self.seat = seat
        if seat is not None:  # a stream dropped without finish() (a reset) still leaves
            weakref.finalize(self, seat.leave)


class OnnxDetector(Block[OnnxDetectorConfig]):
    """Find objects (people, cars, ...) in each frame with an ONNX model from the model zoo, without torch."""

    type_id = "detection/onnx@v1"
    Config = OnnxDetectorConfig
    inputs = (Port("image", Kind.IMAGE, description="Frame to search"),)
    outputs = (Port("detections", Kind.DETECTIONS, description="Boxes with class and confidence"),)

    @classmethod
    def output_classes(cls, config: OnnxDetectorConfig, upstream: frozenset[str] | None) -> frozenset[str] | None:
        """The chosen classes, else every class of the model's manifest (None when the model is unknown here)."""
        if config.classes:
            return frozenset(config.classes)
        try:
            return frozenset(zoo.get_model(config.model).classes) or None
        except BlockError:
            return None

    @classmethod
    def model_fits(cls, manifest: zoo.ModelManifest) -> bool:
        """Models whose weights are an ONNX file (NanoDet, YOLO exports); .pt checkpoints need detection/yolo."""
        return manifest.weights.file.lower().endswith(".onnx")

    def __init__(self, config: OnnxDetectorConfig, node_id: str = "") -> None:
        super().__init__(config, node_id)
        self._detector: onnx_detect.OnnxDetector | None = None
        self._selection: onnx_detect.Selection | None = None
        self._batcher: Batcher | None = None

    def load(self) -> None:
        """Resolve the weights through the zoo (local only, checksum checked) and open them once per process."""
        cfg, node = self.config, self.node_id
        manifest = zoo.get_model(cfg.model, node, "model")
        path = zoo.resolve_weights(cfg.model, node, "model")
        if path.suffix.lower() != ".onnx":
            raise BlockError("onnx_model_not_onnx", node, "model", model=cfg.model, path=str(path))
        spec = onnx_detect.ModelSpec(manifest.format, tuple(manifest.classes), manifest.preprocess, manifest.decoder)
        variant = "|".join(["onnx", cfg.device, str(cfg.threads), str(cfg.imgsz), repr(spec)])

        def load() -> onnx_detect.OnnxDetector:
            session = onnx_detect.open_session(path, cfg.device, cfg.threads, node, "model")
            return onnx_detect.build_detector(session, spec, cfg.imgsz, node, "model", cfg.model)

        detector: onnx_detect.OnnxDetector = zoo.shared_model(path, variant, load).model  # once per process
        known = {class_key(n) for n in detector.names}
        for field, wanted in (("classes", cfg.classes), ("class_conf", tuple(cfg.class_conf))):
            unknown = [c for c in wanted if class_key(c) not in known]
            if unknown:
                raise BlockError("detector_unknown_class", node, field, classes=", ".join(unknown), model=cfg.model,
                                 known=", ".join(detector.names))
        self._selection = onnx_detect.Selection.build(detector.names, cfg.conf, cfg.classes, cfg.class_conf, cfg.iou,
                                                      cfg.agnostic_nms, cfg.max_det)
        self._detector = detector
        if cfg.max_batch > 1 and detector.stacks:  # a one-frame file gains nothing from gathering frames
            self._batcher = detector.batcher(cfg.max_batch, cfg.batch_wait_ms / 1000.0)

    def start(self, ctx: StreamContext) -> _StreamSeat:
        """The stream takes a seat at the model's batcher: its frames may share calls with other streams'."""
        return _StreamSeat(self._batcher.join() if self._batcher is not None else None)

    def process(self, state: _StreamSeat | None, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if self._detector is None or self._selection is None:
            raise RuntimeError("OnnxDetector.process() called before load()")
        image: np.ndarray = inputs["image"].image
        if state is None or state.seat is None:
            return {"detections": self._detector.detect(image, self._selection)}
        return {"detections": state.seat((image, self._selection))}

    def finish(self, state: _StreamSeat | None) -> dict[str, Any]:
        """The stream leaves its seat: the others no longer wait for its frames."""
        if state is not None and state.seat is not None:
            state.seat.leave()
        return {}
