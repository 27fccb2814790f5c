"""Render a real-pixel scene into an H.264 clip and its truth file, in one pass (the truth boxes come from the
masks composited into the frames)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from workbench.features.synth.real.library import STATICS, library
from workbench.features.synth.real.render import Seen, render_real
from workbench.features.synth.real.scene import RealScene
from workbench.features.synth.real.scenes import PARKED_IDS, REAL_SCENES
from workbench.features.synth.real.truth import real_truth
from workbench.features.synth.truth import save_truth
from workbench.media.video_io import H264Writer


def real_scene(scene: str | RealScene, seed: int = 0) -> RealScene:
    """The scene called `scene` (one of REAL_SCENES) for `seed`, or `scene` itself."""
    return REAL_SCENES[scene](seed) if isinstance(scene, str) else scene


def _parked() -> dict[int, str]:
    return {PARKED_IDS[e.name]: e.cls for e in STATICS if e.cls and e.name in PARKED_IDS}


def real_frames(scene: str | RealScene, seed: int = 0) -> Iterator[tuple[np.ndarray, list[Seen]]]:
    """(frame, what is seen) of every frame; needs the installed source files (a user error names the package)."""
    lib = library()
    return render_real(real_scene(scene, seed), seed, lib, PARKED_IDS)


def real_clip_truth(scene: str | RealScene, seed: int = 0) -> dict[str, Any]:
    """The truth record of the clip (renders every frame to measure the masks)."""
    sc = real_scene(scene, seed)
    return real_truth(sc, seed, (seen for _, seen in real_frames(sc, seed)), _parked())


def write_real_clip(scene: str | RealScene, out_dir: Path, seed: int = 0, crf: int = 20) -> tuple[Path, Path]:
    """`<out>/<name>_s<seed>.mp4` and `.truth.json` beside it."""
    sc = real_scene(scene, seed)
    frames = real_frames(sc, seed)  # checks the sources before anything is written
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{sc.name}_s{seed}"
    video = out_dir / f"{stem}.mp4"
    seen_all: list[list[Seen]] = []
    with H264Writer(video, sc.scenario.fps, sc.scenario.size, preset="veryfast", crf=crf) as writer:
        for img, seen in frames:
            writer.write(img)
            seen_all.append(seen)
    truth = save_truth(real_truth(sc, seed, seen_all, _parked()), out_dir / f"{stem}.truth.json")
    return video, truth
