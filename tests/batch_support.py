"""Helpers of the batch tests (tests/workbench/features/batch): short clips with truth, event counts, the batch CLI."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from workbench.features.synth import generate, get, load_truth

REPO = Path(__file__).resolve().parents[1]
PIPELINE = REPO / "pipelines" / "vehicle_count_line.yaml"
CLIP_SECONDS = 8.0  # 200 frames: 2 vehicles in, 3 out on the counting line


@dataclass(frozen=True)
class BatchClips:
    videos: dict[str, Path]  # expected clip name -> video
    truths: dict[str, Path]  # expected clip name -> truth JSON
    corrupt: Path


def make_batch_clips(root: Path) -> BatchClips:
    """a/traffic.mp4, b/traffic.mp4 (same stem, other seed), a/street.mp4, and bad/broken.mp4 (not a video)."""
    scenario = dataclasses.replace(get("traffic"), duration=CLIP_SECONDS)
    videos, truths = {}, {}
    for name, folder, stem, seed in (("traffic", "a", "traffic", 0), ("traffic-2", "b", "traffic", 1),
                                     ("street", "a", "street", 2)):
        clip = generate(scenario, root / "gen", seed=seed)
        (root / folder).mkdir(exist_ok=True)
        videos[name] = Path(shutil.move(clip.video, root / folder / f"{stem}.mp4"))
        truths[name] = clip.truth
    corrupt = root / "bad" / "broken.mp4"
    corrupt.parent.mkdir()
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video" * 50)
    return BatchClips(videos=videos, truths=truths, corrupt=corrupt)


def truth_counts(truth: Path) -> Counter:
    return Counter((e["type"], e["region"], e["direction"]) for e in load_truth(truth)["events"])


def batch_event_counts(out: Path) -> dict[str, Counter]:
    """The combined events.jsonl of a batch folder, counted per clip."""
    counts: dict[str, Counter] = {}
    for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines():
        e = json.loads(line)
        counts.setdefault(e["clip"], Counter())[(e["type"], e["region"], e["direction"])] += 1
    return counts


def run_batch_cli(args: list[str], env: dict[str, str] | None = None,
                  timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m workbench.features.batch ...` in its own process (Ray's settings are read once per process)."""
    return subprocess.run([sys.executable, "-m", "workbench.features.batch", *args], cwd=REPO, capture_output=True,
                          text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)
