"""Short real-pixel clips (workbench.features.synth.real: real cut-outs over vtest.avi's street) with their truth, for
tests of teachers and pseudo-labels. Needs Debian's opencv-doc (the `vtest_video` fixture installs it)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from workbench.features.synth.real import REAL_SCENES, write_real_clip


def real_clip(out_dir: Path, seconds: float = 3.0, seed: int = 0, scene: str = "real_traffic") -> tuple[Path, dict]:
    """The first `seconds` of a real-pixel scene as an H.264 clip in `out_dir`, and its truth record."""
    full = REAL_SCENES[scene](seed)
    short = dataclasses.replace(full, scenario=dataclasses.replace(full.scenario, duration=seconds))
    video, truth = write_real_clip(short, out_dir, seed)
    return video, json.loads(truth.read_text(encoding="utf-8"))


def truth_boxes(truth: dict, frame: int, classes: tuple[str, ...] = ()) -> list[tuple[str, list[float]]]:
    """(class, visible box x1 y1 x2 y2) of every track in `frame` (of `classes`, when given)."""
    return [(t["class"], t["boxes"][frame - t["first_frame"]]) for t in truth["tracks"]
            if t["first_frame"] <= frame <= t["last_frame"] and (not classes or t["class"] in classes)]


def iou(a: list[float] | tuple[float, ...], b: list[float] | tuple[float, ...]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
