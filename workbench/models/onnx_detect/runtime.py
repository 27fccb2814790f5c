"""A loaded ONNX detection model: session + preprocessing + decoder for its format, checked against its outputs.

`build_detector()` runs the model once on a blank input (a warm-up that also gives the outputs' real shapes) and
refuses a file whose outputs do not fit its format or class list, naming the file and what was expected.
`inspect_onnx()` does the same for `workbench zoo import` before anything is copied into the zoo.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import supervision as sv

from workbench.core.errors import BlockError
from workbench.models.batching import Batcher
from workbench.models.manifest_parts import DecoderSpec, PreprocessSpec, default_preprocess
from workbench.models.onnx_detect.candidates import Candidates, LayoutMismatch
from workbench.models.onnx_detect.nanodet import NanoDetLayout, decode_nanodet, nanodet_layout
from workbench.models.onnx_detect.postprocess import Selection, to_detections
from workbench.models.onnx_detect.preprocess import Placement, Preprocessor
from workbench.models.onnx_detect.session import OnnxSession, open_session, ort_errors
from workbench.models.onnx_detect.yolo import YoloLayout, decode_yolo, yolo_layout

DEFAULT_SIZE = 640


@dataclass(frozen=True)
class ModelSpec:
    """What a manifest says about running an ONNX file (`format` "ultralytics" with an .onnx file is "yolo")."""

    format: str
    classes: tuple[str, ...] = ()
    preprocess: PreprocessSpec | None = None
    decoder: DecoderSpec | None = None


Request = tuple[np.ndarray, Selection]  # one stream's frame and that stream's own choices


class OnnxDetector:
    """An ONNX detection model ready for frames; `detect()` and `detect_batch()` may be called from several threads
    at once. `stacks`: the file takes several frames in one run (a dynamic batch dimension, checked at load)."""

    def __init__(self, session: OnnxSession, fmt: str, preprocessor: Preprocessor,
                 layout: YoloLayout | NanoDetLayout, names: Sequence[str], stacks: bool = False) -> None:
        self.session = session
        self.format = fmt
        self.preprocessor = preprocessor
        self.layout = layout
        self.names = tuple(names)
        self.stacks = stacks
        self._batchers: dict[tuple[int, float], Batcher[Request, sv.Detections]] = {}
        self._batchers_lock = threading.Lock()

    @property
    def input_size(self) -> tuple[int, int]:
        """(width, height) of the tensors the model is given."""
        return self.preprocessor.size

    def infer(self, image: np.ndarray) -> tuple[list[np.ndarray], Placement]:
        """The model's raw outputs for a BGR frame, and where the frame sat in the input."""
        tensor, placement = self.preprocessor(image)
        return self.session.run(tensor), placement

    def infer_batch(self, images: Sequence[np.ndarray]) -> tuple[list[list[np.ndarray]], list[Placement]]:
        """Raw outputs (batch dimension 1, as `infer` gives them) and placement of each frame: one run of the
        stacked frames when the model `stacks`, else one run per frame, one after another."""
        prepared = [self.preprocessor(image) for image in images]
        placements = [placement for _, placement in prepared]
        if len(prepared) == 1 or not self.stacks:
            return [self.session.run(tensor) for tensor, _ in prepared], placements
        outputs = self.session.run(np.concatenate([tensor for tensor, _ in prepared]))
        return [[out[i:i + 1] for out in outputs] for i in range(len(prepared))], placements

    def decode(self, outputs: list[np.ndarray], selection: Selection) -> Candidates:
        """Candidates (input pixels) above their class thresholds, before NMS."""
        if isinstance(self.layout, NanoDetLayout):
            return decode_nanodet(outputs, self.layout, selection.thresholds)
        return decode_yolo(outputs, self.layout, selection.thresholds)

    def detect(self, image: np.ndarray, selection: Selection) -> sv.Detections:
        """Detections in frame pixels for one BGR frame (the frame is never changed)."""
        outputs, placement = self.infer(image)
        return to_detections(self.decode(outputs, selection), selection, placement, self.names)

    def detect_batch(self, images: Sequence[np.ndarray], selections: Sequence[Selection]) -> list[sv.Detections]:
        """Detections for several frames in one call, each decoded with its own placement and its caller's own
        selection (classes, thresholds, NMS of each stream's block)."""
        outputs, placements = self.infer_batch(images)
        return [to_detections(self.decode(out, selection), selection, placement, self.names)
                for out, selection, placement in zip(outputs, selections, placements, strict=True)]

    def batcher(self, max_batch: int, max_wait_s: float) -> Batcher[Request, sv.Detections]:
        """The `Batcher` of every stream that batches with these settings: one per setting pair, all on this one
        session (streams with other settings share the model but not the batches)."""
        with self._batchers_lock:
            key = (max_batch, max_wait_s)
            if key not in self._batchers:
                self._batchers[key] = Batcher(self._detect_requests, max_batch, max_wait_s)
            return self._batchers[key]

    def _detect_requests(self, requests: Sequence[Request]) -> list[sv.Detections]:
        return self.detect_batch([image for image, _ in requests], [selection for _, selection in requests])


def metadata_names(metadata: dict[str, str]) -> list[str] | None:
    """Class names an ultralytics export stores in its metadata (`{0: 'person', ...}`), read as data, never code."""
    raw = metadata.get("names")
    try:
        names = ast.literal_eval(raw) if raw else None
    except (ValueError, SyntaxError):
        return None
    if isinstance(names, dict):
        return [str(names[k]) for k in sorted(names)]
    return [str(n) for n in names] if isinstance(names, (list, tuple)) else None


def _metadata_size(metadata: dict[str, str]) -> tuple[int, int] | None:
    try:
        value = ast.literal_eval(metadata.get("imgsz", "None"))
    except (ValueError, SyntaxError):
        return None
    if isinstance(value, int):
        return value, value
    ok = isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) for v in value)
    return (value[1], value[0]) if ok else None


def input_size(session: OnnxSession, preprocess: PreprocessSpec | None, imgsz: int | None, node: str | None,
               model: str) -> tuple[int, int]:
    """The file's fixed input size; else `imgsz`, the manifest's size, the export's own size, 640."""
    if session.input_size:
        if imgsz and (imgsz, imgsz) != session.input_size:
            width, height = session.input_size
            raise BlockError("onnx_size_fixed", node, "imgsz", model=model, size=imgsz, width=width, height=height)
        return session.input_size
    if imgsz:
        return imgsz, imgsz
    if preprocess and preprocess.width and preprocess.height:
        return preprocess.width, preprocess.height
    return _metadata_size(session.metadata) or (DEFAULT_SIZE, DEFAULT_SIZE)


def build_detector(session: OnnxSession, spec: ModelSpec, imgsz: int | None = None, node: str | None = None,
                   field: str | None = "model", model: str = "") -> OnnxDetector:
    """Preprocessing + decoder for `spec`, checked against the outputs of one run on a blank input."""
    fmt = "yolo" if spec.format == "ultralytics" else spec.format
    size = input_size(session, spec.preprocess, imgsz, node, model or session.path.name)
    preprocess = (spec.preprocess or default_preprocess(fmt)).model_copy(update={"width": size[0], "height": size[1]})
    preprocessor = Preprocessor(preprocess, size)
    blank = np.full((size[1], size[0], 3), preprocess.pad_value, np.uint8)
    try:
        blank_tensor = preprocessor(blank)[0]
        blank_outputs = session.run(blank_tensor)
        shapes = [tuple(int(d) for d in o.shape) for o in blank_outputs]
    except ort_errors() as exc:
        raise BlockError("onnx_unreadable", node, field, path=str(session.path),
                         detail=" ".join(str(exc).split())[:300]) from exc
    meta_names = metadata_names(session.metadata)
    count = len(spec.classes) or (len(meta_names) if meta_names else None)
    try:
        if fmt == "nanodet":
            layout: YoloLayout | NanoDetLayout = nanodet_layout(shapes, size, count, spec.decoder)
        else:
            layout = yolo_layout(shapes, count, session.metadata.get("end2end", "").lower() == "true")
    except LayoutMismatch as exc:
        if exc.found_classes is not None and count is not None:
            raise BlockError("onnx_classes_mismatch", node, field, path=str(session.path), found=exc.found_classes,
                             given=count) from exc
        raise BlockError("onnx_outputs_mismatch", node, field, path=str(session.path), format=fmt, found=exc.found,
                         expected=exc.expected) from exc
    names = list(spec.classes) or meta_names or [str(i) for i in range(layout.classes or 0)]
    return OnnxDetector(session, fmt, preprocessor, layout, names, stacks(session, blank_tensor, blank_outputs))


def stacks(session: OnnxSession, first: np.ndarray, first_outputs: list[np.ndarray]) -> bool:
    """Whether the file takes two frames in one run and gives each the outputs it gives alone (a file whose batch
    dimension is open but whose graph still assumes one frame, e.g. a Reshape to [1, 80, -1], does not)."""
    if session.batch is not None:
        return False
    second = np.random.default_rng(0).standard_normal(first.shape).astype(np.float32)
    try:
        alone = session.run(second)
        both = session.run(np.concatenate([first, second]))
    except ort_errors():
        return False
    return len(both) == len(first_outputs) and all(
        _same(out[0:1], a) and _same(out[1:2], b) for out, a, b in zip(both, first_outputs, alone, strict=True))


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-3, atol=1e-4)


@dataclass(frozen=True)
class Inspection:
    """What `workbench zoo import` learns from an ONNX file it was told is of a format."""

    classes: list[str]
    preprocess: PreprocessSpec
    decoder: DecoderSpec | None


def inspect_onnx(path: Path, fmt: str, classes: Sequence[str] | None = None, field: str = "file") -> Inspection:
    """Open `path` as a `fmt` model and check its outputs against the format and the given class names."""
    session = open_session(path, "cpu", 1, None, field)
    if fmt == "nanodet" and not classes:
        raise BlockError("model_classes_missing", None, "classes", path=str(path))
    detector = build_detector(session, ModelSpec(fmt, tuple(classes or ())), node=None, field=field)
    if fmt == "yolo" and not classes and not metadata_names(session.metadata):
        raise BlockError("model_classes_missing", None, "classes", path=str(path))
    layout = detector.layout
    decoder = layout.decoder_spec(0.5) if isinstance(layout, NanoDetLayout) else None
    return Inspection(list(detector.names), detector.preprocessor.spec, decoder)
