"""Write a synthetic clip (H.264 .mp4) and its ground truth (.truth.json) into a folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import Problem, WorkbenchError
from workbench.features.synth.render import render_frames
from workbench.features.synth.scenario import Scenario
from workbench.features.synth.scenarios import SCENARIOS, get
from workbench.features.synth.truth import compute_truth, save_truth
from workbench.media.video_io import H264Writer


@dataclass(frozen=True)
class GeneratedClip:
    """Paths of a generated clip and its truth file."""

    video: Path
    truth: Path


def scene_names() -> list[str]:
    """Every scene `generate` knows: the drawn scenarios, then the real-pixel scenes."""
    from workbench.features.synth.real.scenes import REAL_SCENES

    return [*SCENARIOS, *REAL_SCENES]


def _scenario(scenario: str | Scenario) -> Scenario:
    return get(scenario) if isinstance(scenario, str) else scenario


def generate(scenario: str | Scenario, out_dir: str | Path, seed: int = 0, crf: int = 20) -> GeneratedClip:
    """Render `scenario` into `out_dir/<name>_s<seed>.mp4` and write `<name>_s<seed>.truth.json` beside it.

    A real-pixel scene (`workbench.features.synth.real`, e.g. "real_traffic") is composited from installed files;
    an unknown name is a user error naming every scene."""
    from workbench.features.synth.real import REAL_SCENES, RealScene, write_real_clip

    if isinstance(scenario, RealScene) or scenario in REAL_SCENES:
        video, truth = write_real_clip(scenario, Path(out_dir), seed, crf)  # type: ignore[arg-type]
        return GeneratedClip(video=video, truth=truth)
    if isinstance(scenario, str) and scenario not in SCENARIOS:
        raise WorkbenchError([Problem("synth_unknown_scenario", field="scenario",
                                      params={"name": scenario, "choices": ", ".join(scene_names())})])
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
