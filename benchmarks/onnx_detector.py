"""ONNX detector: the detection/onnx@v1 block vs raw onnxruntime on the same frames, and its fps at 416 and 320 px.

Same frames (decoded once into memory), one onnxruntime session (the block's: same model, same threads), one process;
the variants take turns every 10 frames, in rotating order, so a busy machine slows them alike:
  raw    - no workbench: cv2.resize to 416, numpy normalisation, InferenceSession.run, a vectorised numpy NanoDet
           decode and cv2.dnn.NMSBoxes, the way /work/shared/pretrained/det.py does it (what a careful script costs)
  block  - the bundled nanodet-m-416 through the block's process() (Frame in, sv.Detections with class names out)
  run    - InferenceSession.run alone on ready-made input tensors (the floor: what the model itself costs)
Prints fps (wall and per CPU-second, over all turns) and block / raw (goal >= 0.95). Then fps of the block at 416
and 320 px on a copy of the NanoDet file whose input size is left open (the graph itself has no fixed size: its
reshapes use -1 and its upsampling scales), imported into this run's own temporary home with `--format nanodet`.

Run: .venv/bin/python benchmarks/onnx_detector.py [--frames 120] [--repeat 3] [--clip PATH]   (~1-2 min on 2 cores)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

os.environ.setdefault("WORKBENCH_HOME", tempfile.mkdtemp(prefix="bench-onnx-"))

import cv2
import numpy as np

from blocks.detection.onnx_detector import OnnxDetector, OnnxDetectorConfig
from workbench.core.frames import Frame, read_only
from workbench.models import zoo

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
MODEL = "nanodet-m-416"
KEEP = ("person", "bicycle", "car", "motorcycle", "bus", "truck")
CONF, IOU = 0.35, 0.5


def read_frames(clip: Path, count: int) -> list[np.ndarray]:
    capture, frames = cv2.VideoCapture(str(clip)), []
    while len(frames) < count:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
    capture.release()
    return frames


def default_clip(folder: Path) -> Path:
    if VTEST.exists():
        return VTEST
    from workbench.features.synth import generate  # no opencv-doc: the synthetic traffic clip

    return generate("traffic", folder / "clip").video


class RawNanoDet:
    """NanoDet on onnxruntime without the workbench: fixed 416 px, BGR mean/std, agnostic NMS, class subset."""

    def __init__(self, session: object, names: list[str]) -> None:
        self.session = session  # an onnxruntime.InferenceSession of the bundled file
        self.input = self.session.get_inputs()[0].name
        self.mean = np.array([103.53, 116.28, 123.675], np.float32)
        self.std = np.array([57.375, 57.12, 58.395], np.float32)
        self.keep = np.array([n in KEEP for n in names])
        centers, strides = [], []
        for s in (8, 16, 32):
            g = 416 // s
            ys, xs = np.divmod(np.arange(g * g), g)
            centers.append(np.stack([(xs + 0.5) * s, (ys + 0.5) * s], 1))
            strides.append(np.full(g * g, s))
        self.centers, self.strides = np.concatenate(centers).astype(np.float32), np.concatenate(strides)

    def tensor(self, bgr: np.ndarray) -> np.ndarray:
        img = (cv2.resize(bgr, (416, 416)).astype(np.float32) - self.mean) / self.std
        return np.ascontiguousarray(img.transpose(2, 0, 1)[None])

    def __call__(self, bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        h, w = bgr.shape[:2]
        outs = self.session.run(None, {self.input: self.tensor(bgr)})
        cls = np.concatenate([o[0] for o in outs if o.shape[2] == 80])
        reg = np.concatenate([o[0] for o in outs if o.shape[2] == 44])
        score, label = cls.max(1), cls.argmax(1)
        m = np.flatnonzero((score >= CONF) & self.keep[label])
        r = reg[m].reshape(-1, 4, 11)
        r = np.exp(r - r.max(2, keepdims=True))
        d = (r / r.sum(2, keepdims=True)) @ np.arange(11, dtype=np.float32) * self.strides[m, None]
        c = self.centers[m]
        boxes = np.stack([c[:, 0] - d[:, 0], c[:, 1] - d[:, 1], c[:, 0] + d[:, 2], c[:, 1] + d[:, 3]], 1)
        boxes *= np.array([w / 416, h / 416, w / 416, h / 416], np.float32)
        xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], 1).astype(np.float64)
        kept = np.asarray(cv2.dnn.NMSBoxes(xywh, score[m], 0.0, IOU), int).reshape(-1)
        return boxes[kept], score[m][kept], label[m][kept]


def block_at(model: str, imgsz: int | None) -> OnnxDetector:
    block = OnnxDetector(OnnxDetectorConfig(model=model, classes=KEEP, conf=CONF, iou=IOU, imgsz=imgsz), "bench")
    block.load()
    return block


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def take_turns(runs: dict[str, Callable[[int, int], object]], count: int, repeat: int, chunk: int = 10,
               ) -> dict[str, tuple[float, float]]:
    """Frames per wall second and per CPU second of each variant, the variants taking turns every `chunk` frames."""
    spent = {name: [0.0, 0.0] for name in runs}
    names, turn = list(runs), 0
    for _ in range(repeat):
        for start in range(0, count, chunk):
            for name in names[turn % len(names):] + names[:turn % len(names)]:
                wall, cpu = timed(lambda n=name, s=start: runs[n](s, min(s + chunk, count)))
                spent[name][0] += wall
                spent[name][1] += cpu
            turn += 1
    return {name: (count * repeat / wall, count * repeat / max(cpu, 1e-9)) for name, (wall, cpu) in spent.items()}


def dynamic_copy(folder: Path) -> str:
    """The bundled NanoDet with its input size left open, imported as `nanodet-m-any` into this run's home."""
    import onnx

    model = onnx.load(str(zoo.resolve_weights(MODEL)))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_param, dims[3].dim_param = "height", "width"
    for output in model.graph.output:
        output.type.tensor_type.shape.dim[1].dim_param = "anchors"
    path = folder / "nanodet-m-any.onnx"
    onnx.save(model, str(path))
    zoo.import_weights(path, "nanodet-m-any", classes=zoo.get_model(MODEL).classes, format="nanodet")
    return "nanodet-m-any"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clip", type=Path, help="default: vtest.avi (opencv-doc), else the synthetic traffic clip")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = args.clip or default_clip(Path(tmp))
        images = read_frames(clip, args.frames)
        frames = [Frame(image=read_only(im), index=i, pts=i / 25, wall_time=datetime(2026, 12, 7)) for i, im in
                  enumerate(images)]
        block = block_at(MODEL, None)
        raw = RawNanoDet(block._detector.session.session, zoo.get_model(MODEL).classes)
        tensors = [raw.tensor(im) for im in images]
        found = sum(len(block.process(None, f, {"image": f})["detections"]) for f in frames)  # warm-up both
        raw_found = sum(len(raw(im)[0]) for im in images)
        runs = {"raw": lambda a, b: [raw(im) for im in images[a:b]],
                "block": lambda a, b: [block.process(None, f, {"image": f}) for f in frames[a:b]],
                "run": lambda a, b: [raw.session.run(None, {raw.input: t}) for t in tensors[a:b]]}
        fps = take_turns(runs, len(frames), args.repeat)
        h, w = images[0].shape[:2]
        print(f"clip: {clip.name} ({w}x{h}), {len(images)} frames x {args.repeat}, boxes per pass: block {found}, "
              f"raw {raw_found}")
        for name, (wall, cpu) in fps.items():
            print(f"  {name:<6} {wall:7.1f} fps wall  {cpu:7.1f} frames per CPU-second")
        wall_ratio, cpu_ratio = fps["block"][0] / fps["raw"][0], fps["block"][1] / fps["raw"][1]
        print(f"block / raw = {wall_ratio:.3f} wall, {cpu_ratio:.3f} cpu (goal >= 0.95); "
              f"block / model alone = {fps['block'][0] / fps['run'][0]:.3f} wall")
        any_size = dynamic_copy(Path(tmp))
        sized = {size: block_at(any_size, size) for size in (416, 320)}
        for b in sized.values():
            b.process(None, frames[0], {"image": frames[0]})
        fps = take_turns({str(size): lambda a, c, b=b: [b.process(None, f, {"image": f}) for f in frames[a:c]]
                          for size, b in sized.items()}, len(frames), args.repeat)
        for size, (wall, cpu) in fps.items():
            print(f"  block at {size} px: {wall:7.1f} fps wall  {cpu:7.1f} frames per CPU-second")


if __name__ == "__main__":
    main()
