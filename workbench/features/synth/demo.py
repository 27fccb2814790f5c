"""The demo clip every fresh install has, with its ground truth, in the home (`<home>/demo/demo_s0.mp4` and
`demo_s0.truth.json`).

It is a real-pixel scene: the first 19 s of `real_traffic` (seed 0), real buses, cars and a van over the real street
of vtest.avi, so the demo pipeline (pipelines/demo_street_count.yaml) shows the pretrained detector at work. Story:
a bus drives east over the count line, a car west, a van up the side road, a car waits 3 s with its front at the
line and then drives on (counted once), a bus drives west, a car comes down the side road, a car drives up to the
line and backs away (never counted), a man walks up the side road (not a vehicle); the parked van and car stay.
Truth: count_line 2 in / 2 out, side_line 1 in / 1 out for vehicles.

Real-pixel scenes need Debian's opencv-doc. Without it the drawn demo street (`workbench synth demo`) is made
instead and a warning says so: the pretrained demo pipeline does not fit drawn boxes; vehicle_count_line.yaml does.

    python -m workbench.features.synth.demo      # what `make demo` / `make run` call
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.errors import WorkbenchError
from workbench.core.i18n import t
from workbench.core.paths import workbench_home

if TYPE_CHECKING:
    from workbench.features.synth.real import RealScene

DEMO_SCENE = "real_demo"  # the scene's name, in the truth file and in demo_street_count.yaml's meta
DEMO_SECONDS = 19.0
DRAWN_SCENARIO = "demo"  # the drawn fallback (workbench.features.synth.scenarios)
DEMO_STEM = "demo_s0"  # the file names pages, tests and pipelines expect, whichever scene made them
MISSING_SOURCES = "synth_real_source_missing"
DESCRIPTION = ("The demo: real vehicles over a real street (the first 19 s of real_traffic). Vehicles cross count_line "
               "2 in / 2 out and side_line 1 in / 1 out; a car waits at the line, one backs away, two are parked.")

log = logging.getLogger(__name__)


def demo_clip() -> Path:
    """The bundled demo clip (`make demo` or `make_demo_clip()` creates it)."""
    return workbench_home() / "demo" / f"{DEMO_STEM}.mp4"


def demo_truth() -> Path:
    """The demo clip's ground truth, beside it."""
    return demo_clip().with_name(f"{DEMO_STEM}.truth.json")


def demo_scene(seed: int = 0) -> RealScene:
    """The real-pixel demo scene: `real_traffic` cut to DEMO_SECONDS (actors that would start later left out).
    The real-pixel package is imported here, not above: it loads its tables."""
    from workbench.features.synth.real import RealScene
    from workbench.features.synth.real.scenes import real_traffic

    base = real_traffic(seed)
    actors = tuple(a for a in base.scenario.actors if a.start < DEMO_SECONDS)
    scenario = replace(base.scenario, name=DEMO_SCENE, description=DESCRIPTION, duration=DEMO_SECONDS,
                       actors=actors)
    return RealScene(scenario, {a.id: base.casts[a.id] for a in actors})


def make_demo_clip() -> Path:
    """Render the demo clip and its ground truth (deterministic; ~10 s, once). Without opencv-doc: the drawn demo
    street, with a warning naming the missing package."""
    from workbench.features.synth import generate

    folder = demo_clip().parent
    try:
        made = generate(demo_scene(), folder, seed=0)
    except WorkbenchError as err:
        if not any(p.code == MISSING_SOURCES for p in err.problems):
            raise
        log.warning("%s", t("synth.demo_drawn_fallback", reason=err.problems[0].message(), path=str(demo_clip())))
        drawn = generate(DRAWN_SCENARIO, folder, seed=0)  # writes demo_s0.mp4 / .truth.json itself
        return drawn.video
    os.replace(made.truth, demo_truth())
    os.replace(made.video, demo_clip())
    return demo_clip()


def is_real_demo() -> bool:
    """Is the demo clip in the home the real-pixel one (not missing, not the drawn street of an older install)?"""
    if not (demo_clip().is_file() and demo_truth().is_file()):
        return False
    try:
        return json.loads(demo_truth().read_text(encoding="utf-8")).get("scenario") == DEMO_SCENE
    except (OSError, ValueError):
        return False


def main() -> int:
    """Make the demo clip unless the real-pixel one is there (a drawn one is made again: opencv-doc may be installed
    now); say which one was made."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    if is_real_demo():
        return 0
    print(t("synth.demo_made", path=str(make_demo_clip())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
