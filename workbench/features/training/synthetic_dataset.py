"""A YOLO dataset cut from synthetic clips (frames + truth boxes), for tests and benchmarks. No labeling needed.

    data_yaml = build_synthetic_dataset(out, train=[("traffic", 0)], val=[("traffic", 1)], every=25)

Frames are rendered in memory (`workbench.features.synth.render_frames`, no video encoding) and every `every`-th frame
is
written with its truth boxes as YOLO labels. Train and val come from different clips (scenario + seed), never from
the same clip. Layout (what `workbench.features.training` reads):

    out/data.yaml                       path, train, val, names (class id = position in the class list)
    out/images/{train,val}/<scenario>_s<seed>_f<frame>.jpg
    out/labels/{train,val}/<scenario>_s<seed>_f<frame>.txt   one "class cx cy w h" row per box, normalised
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import yaml

from workbench.features.synth import compute_truth, get, render_frames

SYNTH_CLASSES = ("car", "van", "truck", "muck_truck", "bus", "person")
MIN_BOX_PX = 3  # slivers at the image edge (an actor just entering) are not labelled


def _boxes_by_frame(truth: dict, classes: Sequence[str]) -> dict[int, list[tuple[int, list[float]]]]:
    out: dict[int, list[tuple[int, list[float]]]] = {}
    for track in truth["tracks"]:
        if track["class"] not in classes:
            continue
        cls = classes.index(track["class"])
        for i, box in enumerate(track["boxes"]):
            out.setdefault(track["first_frame"] + i, []).append((cls, box))
    return out


def _label_rows(boxes: list[tuple[int, list[float]]], width: int, height: int) -> list[str]:
    rows = []
    for cls, (x1, y1, x2, y2) in boxes:
        if x2 - x1 < MIN_BOX_PX or y2 - y1 < MIN_BOX_PX:
            continue
        cx, cy = (x1 + x2) / 2 / width, (y1 + y2) / 2 / height
        rows.append(f"{cls} {cx:.6f} {cy:.6f} {(x2 - x1) / width:.6f} {(y2 - y1) / height:.6f}")
    return rows


def write_clip_frames(out_dir: Path, split: str, scenario: str, seed: int, classes: Sequence[str], every: int,
                      max_images: int | None = None, skip_empty: bool = True) -> int:
    """Write every `every`-th frame of one synthetic clip into `split`; returns the number of images written."""
    scen = get(scenario)
    by_frame = _boxes_by_frame(compute_truth(scen, seed), classes)
    width, height = scen.size
    images, labels = out_dir / "images" / split, out_dir / "labels" / split
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    written = 0
    for index, frame in enumerate(render_frames(scen, seed)):
        if index % every or (max_images is not None and written >= max_images):
            continue
        rows = _label_rows(by_frame.get(index, []), width, height)
        if skip_empty and not rows:
            continue
        stem = f"{scenario}_s{seed}_f{index:05d}"
        cv2.imwrite(str(images / f"{stem}.jpg"), np.ascontiguousarray(frame), [cv2.IMWRITE_JPEG_QUALITY, 95])
        (labels / f"{stem}.txt").write_text("\n".join(rows) + ("\n" if rows else ""), encoding="utf-8")
        written += 1
    return written


def write_data_yaml(out_dir: Path, classes: Sequence[str]) -> Path:
    """`data.yaml` in ultralytics' format; names as {id: name} so ids are explicit."""
    path = out_dir / "data.yaml"
    data = {"path": str(out_dir.resolve()), "train": "images/train", "val": "images/val",
            "names": dict(enumerate(classes))}
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def build_synthetic_dataset(out_dir: str | Path, train: Sequence[tuple[str, int]] = (("traffic", 0),),
                            val: Sequence[tuple[str, int]] = (("traffic", 1),),
                            classes: Sequence[str] = SYNTH_CLASSES, every: int = 25,
                            max_images_per_clip: int | None = None) -> Path:
    """Render the clips, write images + labels for train and val, return the data.yaml path."""
    out = Path(out_dir)
    for split, clips in (("train", train), ("val", val)):
        for scenario, seed in clips:
            write_clip_frames(out, split, scenario, seed, classes, every, max_images_per_clip)
    return write_data_yaml(out, classes)
