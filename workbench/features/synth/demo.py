"""The demo clip every fresh install has: a deterministic synthetic street with its ground truth, in the home."""

from __future__ import annotations

from pathlib import Path

from workbench.core.paths import workbench_home

DEMO_SCENARIO = "demo"


def demo_clip() -> Path:
    """The bundled demo clip (`make demo` or `make_demo_clip()` creates it)."""
    return workbench_home() / "demo" / f"{DEMO_SCENARIO}_s0.mp4"


def make_demo_clip() -> Path:
    """Render the demo clip and its ground truth (deterministic, about ten seconds)."""
    from workbench.features.synth import generate

    return generate(DEMO_SCENARIO, demo_clip().parent, seed=0).video
