"""Deterministic synthetic street clips with ground truth, for the demo, the tests and event-level evaluation.

    from workbench.features.synth import generate, render_frames, compute_truth, get
    clip = generate("traffic", "out/", seed=0)        # out/traffic_s0.mp4 + out/traffic_s0.truth.json
    frames = list(render_frames(get("traffic"), 0))   # the same frames in memory, no encoding

The same scenario and seed always give the same frames and the same truth. The truth format is documented in
`workbench.features.synth.truth`. Real-pixel scenes (`real_traffic`, `real_people`: real objects over a real street,
for learned detectors) live in `workbench.features.synth.real`; `generate` writes them too.
"""

from workbench.features.synth.generate import GeneratedClip, generate
from workbench.features.synth.render import render_frames
from workbench.features.synth.scenario import Region, Scenario
from workbench.features.synth.scenarios import SCENARIOS, get
from workbench.features.synth.truth import compute_truth, event_counts, load_truth, min_gap

__all__ = [
    "SCENARIOS", "GeneratedClip", "Region", "Scenario", "compute_truth", "event_counts", "generate", "get",
    "load_truth", "min_gap", "render_frames",
]
