"""Write a synthetic clip (H.264 .mp4) and its ground truth (.truth.json) into a folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.features.synth.render import render_frames
from workbench.features.synth.scenario import Scenario
from workbench.features.synth.scenarios import get
from workbench.features.synth.truth import compute_truth, save_truth
from workbench.media.video_io import H264Writer


@dataclass(frozen=True)
class GeneratedClip:
    """Paths of a generated clip and its truth file."""

    video: Path
    truth: Path


def _scenario(scenario: str | Scenario) -> Scenario:
    return get(scenario) if isinstance(scenario, str) else scenario


def generate(scenario: str | Scenario, out_dir: str | Path, seed: int = 0, crf: int = 20) -> GeneratedClip:
    """Render `scenario` into `out_dir/<name>_s<seed>.mp4` and write `<name>_s<seed>.truth.json` beside it."""
    sc = _scenario(scenario)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{sc.name}_s{seed}"
    video = out / f"{stem}.mp4"
    with H264Writer(video, sc.fps, sc.size, preset="veryfast", crf=crf) as writer:
        for img in render_frames(sc, seed):
            writer.write(img)
    truth = save_truth(compute_truth(sc, seed), out / f"{stem}.truth.json")
    return GeneratedClip(video=video, truth=truth)
