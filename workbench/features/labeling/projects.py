"""Create or update a Label Studio project for a class list and push frames (or clips) with model pre-annotations."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import cv2
import numpy as np
from label_studio_sdk import LabelStudio

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.paths import workbench_home
from workbench.features.labeling.boxes import Box
from workbench.features.labeling.class_map import ClassMap
from workbench.features.labeling.config import (
    BOX_CONTROL,
    IMAGE_KEY,
    VIDEO_KEY,
    Kind,
    check_classes,
    classes_from_config,
    config_kind,
    label_config,
)
from workbench.features.labeling.naming import OPTION, ProjectName, choose, listing
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require

Predictor = Callable[[np.ndarray], list[Box]]


@dataclass(frozen=True)
class ProjectRef:
    """A Label Studio project and its pinned class list (YOLO id = position)."""

    id: int
    title: str
    classes: list[str]
    kind: Kind


@dataclass(frozen=True)
class FrameRef:
    """A sampled frame on disk: which clip it comes from and its index in that clip."""

    path: Path
    clip: str
    frame: int | None = None


@dataclass(frozen=True)
class ClipRef:
    """A video to label as box tracks."""

    path: Path
    clip: str


@dataclass
class PushResult:
    created: list[str] = field(default_factory=list)  # document-root-relative paths of new tasks
    skipped: list[str] = field(default_factory=list)  # already in the project
    predictions: int = 0  # new tasks that got at least one pre-annotated box (after the class mapping)
    predicted: int = 0  # new frames the model looked at
    boxes: int = 0  # boxes kept as pre-annotations
    other_classes: dict[str, int] = field(default_factory=dict)  # boxes dropped: teacher class mapped to no class
    ignored: dict[str, int] = field(default_factory=dict)  # boxes dropped on purpose: teacher class mapped to ignore

    def model_warnings(self, model_version: str, classes: list[str]) -> list[Problem]:
        """Say when the model pre-annotated nothing: it found nothing at all, only classes the project does not take
        (map them: --map), or only classes mapped to `ignore`."""
        if not self.predicted or self.predictions:
            return []
        params = {"model": model_version, "frames": self.predicted, "classes": ", ".join(classes)}
        for code, found in (("labeling_model_unmapped_classes", self.other_classes),
                            ("labeling_model_only_ignored", self.ignored)):
            if found:
                counts = ", ".join(f"{name} ({n})" for name, n in sorted(found.items(), key=lambda x: (-x[1], x[0])))
                return [Problem(code, node="labelstudio", field="--model", severity="warning",
                                params={**params, "found": counts})]
        return [Problem("labeling_model_found_nothing", node="labelstudio", field="--model", severity="warning",
                        params={"model": model_version, "frames": self.predicted})]


def _fail(code: str, /, **params: object) -> WorkbenchError:
    return WorkbenchError([Problem(code, node="labelstudio", params=params)])


def _named(client: LabelStudio) -> list[ProjectRef]:
    projects = []
    for p in client.projects.list():
        config = p.label_config or ""
        projects.append(ProjectRef(id=p.id, title=p.title or "", classes=classes_from_config(config),
                                   kind=config_kind(config)))
    return projects


def _names(projects: list[ProjectRef]) -> list[ProjectName]:
    return [ProjectName(p.id, p.title) for p in projects]


def find_project(client: LabelStudio, project: int | str, option: str = OPTION) -> ProjectRef | None:
    """The project named `project` (its id, or its exact title), or None; a name that fits several is a problem."""
    projects = _named(client)
    index = choose(project, _names(projects), unknown="", ambiguous="labelstudio_project_ambiguous", field=option)
    return None if index is None else projects[index]


def get_project(client: LabelStudio, project: int | str, option: str = OPTION) -> ProjectRef:
    """The project named `project` (id or exact title); unknown or ambiguous names are problems listing projects."""
    projects = _named(client)
    index = choose(project, _names(projects), unknown="labelstudio_no_project",
                   ambiguous="labelstudio_project_ambiguous", field=option, url=str(client_url(client)))
    assert index is not None
    return projects[index]


def client_url(client: LabelStudio) -> str:
    """The server a client talks to (for messages)."""
    wrapper = getattr(client, "_client_wrapper", None)
    return str(getattr(wrapper, "_base_url", "") or getattr(wrapper, "base_url", "") or "Label Studio")


def ensure_project(client: LabelStudio, title: str, classes: list[str], kind: Kind = "image",
                   fps: float = 25.0, option: str = OPTION, actor: Actor | None = None) -> ProjectRef:
    """The project named `title` (an id or exact title) with these classes, for `actor` (clips.edit; every push
    starts here); a new title creates the project (recorded as `labels.project`).

    Class ids are pinned, so reordering, renaming or removing a class of an existing project is refused. A name of
    digits only that is no project's id is refused too: it would look like an id later.
    """
    actor = require(actor, Permission.CLIPS_EDIT)
    classes = check_classes(classes)
    title = str(title).strip()
    found = find_project(client, title, option)
    if found is None:
        if title.isdigit() or not title:
            raise WorkbenchError([Problem("labelstudio_new_title_digits", node="labelstudio", field=option, params={
                "project": title, "option": option, "projects": listing(_names(_named(client)))})])
        p = client.projects.create(title=title, label_config=label_config(classes, kind, fps))
        audit.record(actor, "labels.project", title, after={"id": p.id, "classes": classes, "kind": kind})
        return ProjectRef(id=p.id, title=title, classes=classes, kind=kind)
    if found.kind != kind:
        raise _fail("labelstudio_kind_mismatch", project=found.title, kind=found.kind, wanted=kind)
    if classes[: len(found.classes)] != found.classes:
        raise _fail("labelstudio_classes_pinned", project=found.title, old=", ".join(found.classes),
                    new=", ".join(classes))
    if len(classes) > len(found.classes):
        client.projects.update(id=found.id, label_config=label_config(classes, kind, fps))
        audit.record(actor, "labels.project", found.title, before={"classes": found.classes},
                     after={"classes": classes})
    return ProjectRef(id=found.id, title=found.title, classes=classes, kind=kind)


def local_url(path: Path, document_root: Path) -> tuple[str, str]:
    """(URL Label Studio serves `path` at, path relative to the document root); outside the root is a problem."""
    path, root = path.resolve(), document_root.resolve()
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError as exc:
        raise _fail("labelstudio_outside_root", path=str(path), root=str(root)) from exc
    return f"/data/local-files/?d={quote(rel)}", rel


def ensure_storage(client: LabelStudio, project_id: int, folder: Path) -> None:
    """A local-files storage covering `folder`, so Label Studio may serve its files (never synced: we add tasks)."""
    folder = folder.resolve()
    for s in client.import_storage.local.list(project=project_id):
        if s.path and (folder == Path(s.path) or Path(s.path) in folder.parents):
            return
    client.import_storage.local.create(project=project_id, path=str(folder), use_blob_urls=True,
                                       title=f"workbench {folder.name}")


def _pushed_sources(client: LabelStudio, project_id: int) -> set[str]:
    return {str((t.data or {}).get("source")) for t in client.tasks.list(project=project_id, fields="task_only")}


def prediction(boxes: Sequence[Box], classes: list[str], width: int, height: int, model_version: str) -> dict:
    """A Label Studio prediction (pre-annotation) from model boxes; boxes of classes outside the list are dropped."""
    result = [{"from_name": BOX_CONTROL, "to_name": IMAGE_KEY, "type": "rectanglelabels",
               "original_width": width, "original_height": height,
               "value": {**b.ls_value(width, height), "rectanglelabels": [b.cls]},
               **({"score": float(b.score)} if b.score is not None else {})}
              for b in boxes if b.cls in classes]
    scores = [b.score for b in boxes if b.cls in classes and b.score is not None]
    return {"model_version": model_version, "score": float(min(scores)) if scores else 0.0, "result": result}


def _pre_annotate(task: dict, path: Path, predictor: Predictor, mapping: ClassMap, model_version: str,
                  out: PushResult) -> None:
    """Run the model on one frame; its boxes, mapped to the project's classes, become the task's prediction (none:
    no prediction, so Label Studio does not count an empty one)."""
    image = cv2.imread(str(path))
    if image is None:
        raise _fail("labeling_image_unreadable", path=str(path))
    h, w = image.shape[:2]
    found = predictor(image)
    kept, outside = mapping.apply(found)
    out.predicted += 1
    for name in outside:
        out.other_classes[name] = out.other_classes.get(name, 0) + 1
    for b in found:
        if mapping.targets.get(b.cls, "") is None:
            out.ignored[b.cls] = out.ignored.get(b.cls, 0) + 1
    pred = prediction(kept, list(dict.fromkeys(b.cls for b in kept)), w, h, model_version)
    if pred["result"]:
        task["predictions"] = [pred]
        out.predictions += 1
        out.boxes += len(pred["result"])


def push_frames(client: LabelStudio, project: ProjectRef, frames: Sequence[FrameRef],
                predictor: Predictor | None = None, model_version: str = "",
                document_root: Path | None = None, mapping: ClassMap | None = None) -> PushResult:
    """Add frames not yet in the project as tasks, each with the model's boxes as a prediction (`model_version`);
    `mapping` turns the model's classes into the project's (default: the classes of the same name)."""
    if project.kind != "image":
        raise _fail("labelstudio_kind_mismatch", project=project.title, kind=project.kind, wanted="image")
    root = (document_root or workbench_home()).resolve()
    out = PushResult()
    mapping = mapping or ClassMap({c: c for c in project.classes}, False)
    already = _pushed_sources(client, project.id)
    tasks, folders = [], set()
    for f in frames:
        url, rel = local_url(f.path, root)
        if rel in already:
            out.skipped.append(rel)
            continue
        task: dict = {"data": {IMAGE_KEY: url, "clip": f.clip, "frame": f.frame, "source": rel}}
        if predictor is not None:
            _pre_annotate(task, f.path, predictor, mapping, model_version, out)
        tasks.append(task)
        folders.add(f.path.resolve().parent)
        already.add(rel)
        out.created.append(rel)
    if folders:  # one storage for the common folder of this push (e.g. frames/ for frames/<clip>/...)
        ensure_storage(client, project.id, Path(os.path.commonpath(sorted(folders))))
    if tasks:
        client.projects.import_tasks(id=project.id, request=tasks)
    return out


def push_clips(client: LabelStudio, project: ProjectRef, clips: Sequence[ClipRef],
               document_root: Path | None = None) -> PushResult:
    """Add videos not yet in a video project as tasks (frame count and fps kept in the task for cutting frames)."""
    if project.kind != "video":
        raise _fail("labelstudio_kind_mismatch", project=project.title, kind=project.kind, wanted="video")
    root = (document_root or workbench_home()).resolve()
    out = PushResult()
    already = _pushed_sources(client, project.id)
    tasks = []
    for c in clips:
        url, rel = local_url(c.path, root)
        if rel in already:
            out.skipped.append(rel)
            continue
        cap = cv2.VideoCapture(str(c.path))
        frames, fps = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), float(cap.get(cv2.CAP_PROP_FPS))
        cap.release()
        if frames <= 0:
            raise _fail("labeling_video_unreadable", path=str(c.path))
        tasks.append({"data": {VIDEO_KEY: url, "clip": c.clip, "source": rel, "frames": frames, "fps": fps}})
        ensure_storage(client, project.id, c.path.resolve().parent)
        already.add(rel)
        out.created.append(rel)
    if tasks:
        client.projects.import_tasks(id=project.id, request=tasks)
    return out


def model_predictor(model: str, conf: float = 0.25, field: str = "--model") -> tuple[Predictor, str]:
    """A predictor from any model text `workbench train --base` accepts but an architecture, also the zoo's ONNX
    models (workbench.features.labeling.teacher), and its model_version (`label@sha256[:12]`)."""
    from workbench.features.labeling.teacher import open_teacher

    teacher = open_teacher(model, conf=conf, field_name=field)
    return teacher.detect, teacher.version
