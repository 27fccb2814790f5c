"""Real-pixel test footage: real objects (cut out of photos that installed packages ship, and walkers of
opencv-doc's vtest.avi) moving over a real street (the median of vtest.avi), with ground truth in the synthetic
truth format.

    from workbench.features.synth import generate
    clip = generate("real_traffic", "out/", seed=0)    # out/real_traffic_s0.mp4 + .truth.json

Scenes: `workbench.features.synth.real.scenes`. Sources and the cache: `sources`. Needs Debian's opencv-doc.
"""

from workbench.features.synth.real.clip import real_clip_truth, real_frames, real_scene, write_real_clip
from workbench.features.synth.real.scene import Cast, RealScene
from workbench.features.synth.real.scenes import REAL_SCENES

__all__ = ["REAL_SCENES", "Cast", "RealScene", "real_clip_truth", "real_frames", "real_scene", "write_real_clip"]
