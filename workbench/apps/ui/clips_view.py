"""Pure helpers of the "Clips & labels" page (no Streamlit): clip rows, sampling options -> sampler calls, preview
thumbnails, frame reasons, the Label Studio connection check, pulled projects and error texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from workbench.core.class_names import class_key
from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import t
from workbench.core.paths import workbench_home
from workbench.features.finetune import sampling
from workbench.features.finetune.clips import Clip, ClipLibrary

Method = Literal["uniform", "scene", "model"]
METHODS: tuple[Method, ...] = ("uniform", "scene", "model")
PREVIEW_WIDTH = 240
_TAG_SPLIT = re.compile(r"[,，、;；]")
_REASON_PAIR = re.compile(r"(\w+)=([-\d.]+)")


# -- clips -------------------------------------------------------------------------------------------------------------
def parse_tags(text: str) -> list[str]:
    """Tags typed as one line, separated by commas (also Chinese 、，) or semicolons; blanks and repeats dropped."""
    return list(dict.fromkeys(part.strip() for part in _TAG_SPLIT.split(text or "") if part.strip()))


def human_size(size_bytes: int) -> str:
    """`812 KB`, `12.3 MB`, `1.1 GB`: bytes in the unit people read."""
    value = float(size_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # unreachable, keeps type checkers calm


def human_duration(seconds: float) -> str:
    """`0:04`, `12:30`, `1:02:03`: minutes and seconds, hours when needed."""
    total = round(max(seconds, 0.0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def clip_details(clip: Clip, lang: str) -> str:
    """One line under a clip's name: duration, size, resolution, camera/site and tags, in `lang`."""
    where = " · ".join(x for x in (clip.camera, clip.site) if x) or "-"
    return t("app.clips.details", lang, duration=human_duration(clip.duration_s), size=human_size(clip.size_bytes),
             width=clip.width, height=clip.height, fps=round(clip.fps, 2), where=where,
             tags=", ".join(clip.tags) or "-")


def clip_label(clip: Clip) -> str:
    """How a clip is named in pickers: its name and id (the id is unique, names may repeat)."""
    return f"{clip.name} ({clip.id})"


# -- sampling ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SamplingOptions:
    """What the page's sampling form asks for."""

    method: Method = "uniform"
    every_s: float = 1.0  # uniform
    threshold: float = 0.25  # scene
    model_id: str = ""  # model
    dedupe: bool = True
    max_distance: int = 2  # dedupe: hash bits of 256
    max_frames: int = 0  # 0: no limit (model: 20)


@dataclass
class Sampled:
    """The frames chosen for a clip and small RGB previews of them, in frame order."""

    clip_id: str
    refs: list[sampling.FrameRef]
    thumbs: list[np.ndarray] = field(default_factory=list)


DetectorFactory = Callable[[str], sampling.Detect]


def run_sampling(clip: Clip, options: SamplingOptions, library: ClipLibrary | None = None,
                 detector: DetectorFactory = sampling.zoo_detector, thumb_width: int = PREVIEW_WIDTH) -> Sampled:
    """Call the sampler `options` names, drop near-duplicates, keep at most `max_frames`; decode each frame once."""
    lib = library or ClipLibrary()
    if options.method == "uniform":
        refs = sampling.uniform(clip, every_s=options.every_s, library=lib)
    elif options.method == "scene":
        refs = sampling.scene_change(clip, threshold=options.threshold, library=lib)
    else:
        if not options.model_id.strip():
            raise WorkbenchError([Problem("frames_model_required", field="model")])
        refs = sampling.model_driven(clip, detector(options.model_id.strip()), max_frames=options.max_frames or 20,
                                     library=lib)
    images = sampling.frame_images(refs, lib)
    if options.dedupe:
        refs = sampling.dedupe(refs, max_distance=options.max_distance, images=images)
    if options.max_frames:
        refs = sampling.limit(refs, options.max_frames)
    thumbs = [_thumbnail(images[(r.clip_id, r.frame_index)], thumb_width) for r in refs]
    return Sampled(clip.id, refs, thumbs)


def _thumbnail(bgr: np.ndarray, width: int) -> np.ndarray:
    h, w = bgr.shape[:2]
    if w > width:
        bgr = cv2.resize(bgr, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def reason_params(ref: sampling.FrameRef) -> tuple[str, dict[str, Any]]:
    """The translation key and parameters saying why a frame was chosen (time, share of change, model doubts)."""
    values = {k: float(v) for k, v in _REASON_PAIR.findall(ref.reason)}
    params: dict[str, Any] = {"time": f"{ref.pts:.1f}"}
    if ref.method == "scene":
        params["changed"] = f"{values.get('changed', ref.score) * 100:.0f}"
    elif ref.method == "model":
        params.update(uncertain=f"{values.get('uncertain', 0.0):.2f}",
                      **{k: int(values.get(k, 0)) for k in ("lost", "new", "unmatched")})
    return f"app.clips.reason.{ref.method}", params


def reason_text(ref: sampling.FrameRef, lang: str) -> str:
    key, params = reason_params(ref)
    return t(key, lang, **params)


# -- Label Studio ------------------------------------------------------------------------------------------------------
@dataclass
class LabelStudioStatus:
    """The outcome of checking the connection: a client when it works, else the problems saying why not."""

    client: Any = None
    url: str = ""
    token_source: str = ""
    local: bool = False  # the server `workbench labelstudio start` runs
    problems: list[Problem] = field(default_factory=list)

    @property
    def connected(self) -> bool:
        return self.client is not None


def check_connection(timeout: float = 10.0) -> LabelStudioStatus:
    """Connect with the env settings or the local server; never raises for a user-caused failure."""
    from workbench.features.labeling.client import check, resolve_connection
    from workbench.features.labeling.server import local_server_info

    try:
        conn = resolve_connection()
    except WorkbenchError as exc:
        return LabelStudioStatus(problems=exc.problems)
    local = local_server_info()
    status = LabelStudioStatus(url=conn.url, token_source=conn.token_source,
                               local=bool(local and local.url.rstrip("/") == conn.url))
    from label_studio_sdk import LabelStudio

    client = LabelStudio(base_url=conn.url, api_key=conn.token, timeout=timeout, max_retries=0)
    try:
        check(client, conn)
    except WorkbenchError as exc:
        status.problems = exc.problems
        return status
    status.client = client
    return status


def parse_classes(text: str) -> list[str]:
    """One class per line, in order (YOLO id = position); surrounding spaces and empty lines ignored."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def reorders_pinned(existing: list[str], wanted: list[str]) -> bool:
    """True when `wanted` would change the id of an existing class (only appending keeps the ids)."""
    return wanted[: len(existing)] != existing


def project_link(url: str, project_id: int) -> str:
    """The project's task list in the Label Studio web app."""
    return f"{url.rstrip('/')}/projects/{int(project_id)}/data"


def extracted_frames(clip_ids: list[str], out_root: Path | None = None) -> list:
    """The frames extracted so far for these clips, as labeling frame references (JPEGs that exist)."""
    from workbench.features.labeling.projects import FrameRef

    root = Path(out_root) if out_root is not None else sampling.frames_dir()
    frames = []
    for clip_id in clip_ids:
        for ref in sampling.load_index(clip_id, root):
            path = root / clip_id / f"{ref.frame_index:06d}.jpg"
            if path.is_file():
                frames.append(FrameRef(path, clip_id, ref.frame_index))
    return frames


# -- pre-labels: the model's classes -> the project's ------------------------------------------------------------------
def default_sources(project_class: str, teacher_classes: Sequence[str]) -> list[str]:
    """The model classes the mapping table offers for a project class at first: the one of the same name, if any."""
    return [c for c in teacher_classes if class_key(c) == class_key(project_class)]


def mapping_from_rows(rows: Mapping[str, Sequence[str]], confs: Mapping[str, float], model: str,
                      lang: str | None = None) -> dict[str, Any]:
    """The table's rows (project class -> model classes, project class -> lowest confidence) as `mapping` (model
    class -> project class), `class_conf` (model class -> confidence) and `problems` (a model class in two rows, or
    no model class in any row)."""
    mapping: dict[str, str] = {}
    class_conf: dict[str, float] = {}
    problems: list[Problem] = []
    option = t("app.clips.map_title", lang)
    for project_class, sources in rows.items():
        for source in sources:
            if source in mapping and mapping[source] != project_class:
                problems.append(Problem("teacher_map_twice", field="map", params={
                    "option": option, "name": source, "targets": f"{mapping[source]}, {project_class}"}))
                continue
            mapping[source] = project_class
            class_conf[source] = float(confs.get(project_class, 0.25))
    if not mapping:
        problems.append(Problem("teacher_map_empty", field="map", params={
            "option": option, "model": model, "known": ", ".join(rows)}))
    return {"mapping": mapping, "class_conf": class_conf, "problems": problems}


@dataclass
class Pushed:
    """What a push from the page did: the project, the push's counts and the model's record label."""

    project: Any
    result: Any
    version: str = ""

    def warnings(self) -> list[Problem]:
        return self.result.model_warnings(self.version, self.project.classes) if self.version else []


def push_frames(client: Any, title: str, classes: list[str], frames: list, model_id: str | None,
                mapping: Mapping[str, str] | None = None, class_conf: Mapping[str, float] | None = None,
                actor: Any = None) -> Pushed:
    """Create/update the project and push the frames, pre-labelled by `model_id` (any zoo model, ultralytics or
    ONNX) through `mapping`; the teacher and mapping are checked before the project is touched."""
    from workbench.features.labeling.class_map import ClassMap
    from workbench.features.labeling.projects import ensure_project
    from workbench.features.labeling.projects import push_frames as push
    from workbench.features.labeling.teacher import open_teacher

    teacher = class_map = None
    if model_id:
        teacher = open_teacher(model_id, conf=min([0.25, *(class_conf or {}).values()]), class_conf=class_conf,
                               field_name="model")
        class_map = ClassMap.build(mapping, teacher.names, classes, teacher.model, option="map")
    project = ensure_project(client, title, classes, actor=actor)
    result = push(client, project, frames, teacher.detect if teacher else None, teacher.version if teacher else "",
                  mapping=class_map)
    return Pushed(project, result, teacher.version if teacher else "")


@dataclass(frozen=True)
class PulledProject:
    """A Label Studio project whose labels were pulled into the workbench (a store folder)."""

    store: Path
    server: str
    project_id: int
    title: str
    classes: list[str]
    kind: str
    tasks: int
    clips: list[str]

    def label(self) -> str:
        return f"{self.title} (#{self.project_id}, {self.server})"


def pulled_projects(home: Path | None = None) -> list[PulledProject]:
    """Every pulled project under `<home>/labeling/<server>/project-<id>/`, by server and id."""
    from workbench.features.labeling.pull import load_state, stored_tasks

    found = []
    for state_file in sorted((home or workbench_home()).glob("labeling/*/project-*/state.json")):
        store = state_file.parent
        try:
            project = load_state(store).get("project") or {}
            records = stored_tasks(store)
        except (OSError, ValueError):
            continue  # a damaged store hides one project, not the page
        if not project:
            continue
        clips = sorted({str((r.get("data") or {}).get("clip") or "") for r in records} - {""})
        found.append(PulledProject(store=store, server=store.parent.name, project_id=int(project.get("id", 0)),
                                   title=str(project.get("title", "")), classes=list(project.get("classes", [])),
                                   kind=str(project.get("kind", "image")), tasks=len(records), clips=clips))
    return found


@dataclass(frozen=True)
class PseudoChoice:
    """A pseudo-labelled part (`workbench dataset pseudo`) the dataset tab offers."""

    version: str
    teacher: str
    images: int
    clips: list[str]
    created: str

    def label(self) -> str:
        return f"{self.version} · {self.teacher} · {self.images} · {', '.join(self.clips)}"


def make_pseudo_part(clip_ids: list[str], model_id: str, classes: list[str], mapping: Mapping[str, str],
                     class_conf: Mapping[str, float], every_s: float, max_frames: int, actor: Any = None) -> Any:
    """Have `model_id` label the clips' frames (one every `every_s` seconds, at most `max_frames` per clip; 0: no
    limit) into a pseudo-labelled part, as `workbench dataset pseudo` does; returns its DatasetInfo."""
    from workbench.features.labeling.pseudo import PseudoSampling, pseudo_label
    from workbench.features.labeling.teacher import open_teacher

    teacher = open_teacher(model_id, conf=min([0.25, *class_conf.values()]), class_conf=class_conf,
                           field_name="model")
    return pseudo_label(clip_ids, teacher, mapping, classes, PseudoSampling(every_s=every_s, max_frames=max_frames),
                        actor=actor)


def pseudo_parts(root: Path | None = None) -> list[PseudoChoice]:
    """Every pseudo-labelled part under `<home>/datasets/pseudo/`, newest first; damaged ones are not offered."""
    import json

    from workbench.features.labeling.pseudo import pseudo_dir

    found = []
    for manifest in (root or pseudo_dir()).glob("*/dataset.json"):
        try:
            info = json.loads(manifest.read_text(encoding="utf-8"))
            part = info["pseudo"]
            found.append(PseudoChoice(str(info["version"]), str(part["teacher_version"]), int(info["images"]["train"]),
                                      sorted(part["clips"]), str(part.get("created", ""))))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(found, key=lambda p: (p.created, p.version), reverse=True)


# -- errors ------------------------------------------------------------------------------------------------------------
def error_messages(exc: BaseException, lang: str) -> list[str]:
    """What to show for a failure: each Problem's translated sentence, or one translated line for anything else."""
    if isinstance(exc, WorkbenchError):
        return [p.message(lang) for p in exc.problems]
    detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return [t("app.clips.unexpected", lang, detail=f"{type(exc).__name__}: {detail}".rstrip(": "))]


def split_counts(info: Any) -> list[dict[str, Any]]:
    """Rows for a table of a built dataset: per split its images, boxes (lines of its label files) and clips."""
    rows = []
    for split, clips in (("train", info.train_clips), ("val", info.val_clips)):
        labels = sorted((Path(info.path) / "labels" / split).glob("*.txt"))
        boxes = sum(1 for f in labels for line in f.read_text(encoding="utf-8").splitlines() if line.strip())
        rows.append({"split": split, "images": int(info.images.get(split, 0)), "boxes": boxes,
                     "clips": ", ".join(clips) or "-"})
    return rows
