"""The bundled templates as staff first meet them: a name and a sentence in their language and a picture.

The picture is a frame of the template's own scene (the synthetic scenario it was made for, at its busiest moment;
for a real-pixel scenario the real demo clip's street, where those scenes play; or the first frame of its source
video when that is on this machine) with the template's lines and zones drawn on it; made once and kept under
`<home>/previews/`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from workbench.apps.ui.library import PipelineEntry
from workbench.core.errors import WorkbenchError
from workbench.core.i18n import has, t
from workbench.core.paths import workbench_home
from workbench.core.registry import BlockRegistry
from workbench.engine.spec import PipelineSpec, load_spec

PREVIEW_WIDTH = 480
LINE_COLOUR, ZONE_COLOUR = (0, 215, 255), (60, 60, 230)  # BGR: amber lines, red zones
REAL_PREFIX = "real_"  # scenarios of workbench.features.synth.real (real_traffic, real_people, real_gate, real_demo)


@dataclass(frozen=True)
class TemplateCard:
    entry: PipelineEntry
    title: str
    description: str


def card(entry: PipelineEntry, lang: str) -> TemplateCard:
    """The template's translated name and sentence (`template.<stem>.title/.description`), else its own meta."""
    key = f"template.{entry.name}"
    title = t(f"{key}.title", lang) if has(f"{key}.title") else entry.title
    text = t(f"{key}.description", lang) if has(f"{key}.description") else ""
    return TemplateCard(entry, title, text)


def preview(entry: PipelineEntry, registry: BlockRegistry, home: Path | None = None) -> Path | None:
    """The template's picture (made on first use), or None when it has no scene on this machine."""
    target = (home or workbench_home()) / "previews" / f"{entry.name}.jpg"
    if target.is_file() and target.stat().st_mtime >= entry.path.stat().st_mtime:
        return target
    try:
        spec = load_spec(entry.path)
    except WorkbenchError:
        return None
    frame = _scene_frame(spec)
    if frame is None:
        return None
    _draw_geometry(frame, spec, registry)
    height = int(frame.shape[0] * PREVIEW_WIDTH / frame.shape[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(target), cv2.resize(frame, (PREVIEW_WIDTH, height), interpolation=cv2.INTER_AREA))
    return target


def _scene_frame(spec: PipelineSpec) -> np.ndarray | None:
    scenario = (spec.meta.model_extra or {}).get("scenario")
    if scenario and str(scenario).startswith(REAL_PREFIX):
        return _real_street_frame()
    if scenario:
        from workbench.features.synth import scenarios
        from workbench.features.synth.render import render_frames

        scene = scenarios.get(str(scenario))
        times = scene.times()
        busy = sum(actor.boxes(times)[1].astype(int) for actor in scene.actors)
        busiest = int(np.argmax(busy)) if len(scene.actors) else 0
        return next(itertools.islice(render_frames(scene), busiest, None), None)
    for node in spec.nodes:
        path = node.config.get("path")
        if path and Path(str(path)).is_file():
            capture = cv2.VideoCapture(str(path))
            ok, frame = capture.read()
            capture.release()
            return frame if ok else None
    return None


def _real_street_frame() -> np.ndarray | None:
    """The real-pixel scenes all play in one street (vtest.avi's view), the demo clip's: its busiest frame, read
    from the clip (rendering a real scene here would take seconds). None until the real demo clip is made."""
    from workbench.features.synth import demo, load_truth

    if not demo.is_real_demo():
        return None
    truth = load_truth(demo.demo_truth())
    busy = np.zeros(int(truth["frames"]), dtype=int)
    for track in truth["tracks"]:
        busy[track["first_frame"]:track["last_frame"] + 1] += 1
    capture = cv2.VideoCapture(str(demo.demo_clip()))
    capture.set(cv2.CAP_PROP_POS_FRAMES, int(np.argmax(busy)))
    ok, frame = capture.read()
    capture.release()
    return frame if ok else None


def _draw_geometry(frame: np.ndarray, spec: PipelineSpec, registry: BlockRegistry) -> None:
    """The template's counting lines and zones, as the annotated video draws them."""
    for node in spec.nodes:
        block = registry.get(node.type)
        if block is None:
            continue
        try:
            overlays = block(block.Config(**node.config), node.id).overlays()
        except (ValueError, TypeError):
            continue
        for overlay in overlays:
            points = np.array(overlay.points, dtype=np.int32)
            if overlay.shape == "line":
                cv2.line(frame, tuple(points[0]), tuple(points[-1]), LINE_COLOUR, 3, cv2.LINE_AA)
            else:
                cv2.polylines(frame, [points], True, ZONE_COLOUR, 3, cv2.LINE_AA)
