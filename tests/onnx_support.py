"""ONNX models for tests: ultralytics exports (untrained, or trained for a minute on coloured rectangles) and
hand-built graphs whose outputs are chosen numbers (a NanoDet head with known boxes, any wrong output shapes)."""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np
import yaml

RECT_CLASSES = ("red", "cyan")
RECT_COLORS = ((0, 0, 230), (230, 200, 0))  # BGR


def export_onnx(pt: Path, out_dir: Path, imgsz: int, dynamic: bool = False) -> Path:
    """An ultralytics ONNX export of a local checkpoint (offline; ultralytics settings under a temporary home)."""
    from workbench.models.ultralytics_env import prepare_ultralytics

    prepare_ultralytics()
    from ultralytics import YOLO

    out_dir.mkdir(parents=True, exist_ok=True)
    copy = out_dir / pt.name
    shutil.copyfile(pt, copy)
    return Path(YOLO(str(copy)).export(format="onnx", imgsz=imgsz, dynamic=dynamic, simplify=False, verbose=False))


def rectangles_image(rng: np.random.Generator, size: int) -> tuple[np.ndarray, list[tuple[int, float, float, float,
                                                                                          float]]]:
    """A noisy grey image with one or two filled red/cyan rectangles and their YOLO labels (class, cx, cy, w, h)."""
    image = rng.integers(60, 120, (size, size, 3), np.uint8)
    labels = []
    for _ in range(int(rng.integers(1, 3))):
        cls = int(rng.integers(0, 2))
        w, h = (int(v) for v in rng.integers(int(size * 0.2), int(size * 0.45), 2))
        x, y = int(rng.integers(0, size - w)), int(rng.integers(0, size - h))
        cv2.rectangle(image, (x, y), (x + w, y + h), RECT_COLORS[cls], -1)
        labels.append((cls, (x + w / 2) / size, (y + h / 2) / size, w / size, h / size))
    return image, labels


def train_rectangles(root: Path, size: int = 128, images: int = 48, epochs: int = 60) -> Path:
    """A yolo11n trained from scratch to find red and cyan rectangles (~2 min on 2 cores): real, if modest, boxes
    (scores 0.2-0.6 around the rectangles). Returns last.pt."""
    from workbench.models.ultralytics_env import prepare_ultralytics

    prepare_ultralytics()
    from ultralytics import YOLO

    rng = np.random.default_rng(0)
    for sub in ("images/train", "labels/train"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(images):
        image, labels = rectangles_image(rng, size)
        cv2.imwrite(str(root / "images/train" / f"{i}.png"), image)
        rows = (" ".join([str(c), *(f"{v:.6f}" for v in box)]) for c, *box in labels)
        (root / "labels/train" / f"{i}.txt").write_text("\n".join(rows), encoding="utf-8")
    data = root / "data.yaml"
    data.write_text(yaml.safe_dump({"path": str(root), "train": "images/train", "val": "images/train",
                                    "names": dict(enumerate(RECT_CLASSES))}), encoding="utf-8")
    YOLO("yolo11n.yaml").train(data=str(data), epochs=epochs, imgsz=size, batch=16, workers=0, device="cpu",
                               plots=False, val=False, project=str(root / "runs"), name="rect", exist_ok=True,
                               verbose=False, amp=False, seed=0, deterministic=True, warmup_epochs=0, mosaic=0.0,
                               optimizer="AdamW", lr0=0.01)
    return root / "runs" / "rect" / "weights" / "last.pt"


# -- hand-built graphs -------------------------------------------------------------------------------------------------
def constant_model(path: Path, outputs: Sequence[np.ndarray], input_shape: Sequence[int | str] = (1, 3, 416, 416),
                   names: Iterable[str] | None = None) -> Path:
    """An ONNX model that takes one image tensor and always returns `outputs` (float32)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    names = list(names) if names is not None else [f"out{i}" for i in range(len(outputs))]
    nodes = [helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
             helper.make_node("Mul", ["mean", "zero"], ["nothing"])]
    inits = [numpy_helper.from_array(np.zeros((), np.float32), "zero")]
    graph_outputs = []
    for name, value in zip(names, outputs, strict=True):
        inits.append(numpy_helper.from_array(np.asarray(value, np.float32), f"{name}_value"))
        nodes.append(helper.make_node("Add", [f"{name}_value", "nothing"], [name]))
        graph_outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(np.shape(value))))
    graph = helper.make_graph(nodes, "constant", [helper.make_tensor_value_info("images", TensorProto.FLOAT,
                                                                                 list(input_shape))],
                              graph_outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path


def nanodet_outputs(hits: Sequence[tuple[int, int, int, int, float, tuple[int, int, int, int]]],
                    size: tuple[int, int] = (416, 416), classes: int = 80, reg_max: int = 10,
                    strides: Sequence[int] = (8, 16, 32), packed: bool = False) -> list[np.ndarray]:
    """NanoDet head outputs that score nothing except `hits`: (stride, cell x, cell y, class, score, (left, top,
    right, bottom) distance bins). Split layout: [cls, reg] per stride; packed: one [1, sum N, classes + bins]."""
    levels = []
    for s in strides:
        n = math.ceil(size[0] / s) * math.ceil(size[1] / s)
        scores = np.full((n, classes), 0.01, np.float32)
        dists = np.zeros((n, 4, reg_max + 1), np.float32)
        for stride, gx, gy, cls, score, sides in hits:
            if stride == s:
                cell = gy * math.ceil(size[0] / s) + gx
                scores[cell, cls] = score
                for side, bin_ in enumerate(sides):
                    dists[cell, side, bin_] = 30.0  # softmax ~ one-hot: the distance is bin x stride
        levels.append((scores, dists.reshape(n, -1)))
    if packed:
        return [np.concatenate([np.concatenate(level, axis=1) for level in levels])[None]]
    return [part[None] for level in levels for part in level]
