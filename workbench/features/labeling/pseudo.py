"""Pseudo-labels: a teacher model labels sampled frames of unlabelled clips, for the classes it knows.

    part = pseudo_label(["gate-cam-3f2a9c01de"], open_teacher("nanodet-m-416", conf=0.4),
                        {"truck": "muck_truck", "car": "car"}, ["muck_truck", "car"])
    build_dataset([store], pseudo_parts=[part.path])      # human labels win on frames that have both

Frames are chosen as `workbench frames sample` chooses them (uniform or scene, near-duplicates dropped, at most
`max_frames` per clip) and cut from the clip library's videos; the teacher's boxes (its thresholds, class-agnostic
NMS) go through the class mapping. The part is written by the dataset writer as a YOLO dataset (everything in
train) under `<home>/datasets/pseudo/<version>/`; its dataset.json's `pseudo` records the teacher, its file's hash,
thresholds, mapping, sampling, clips (with their sha256) and every frame. Image names end in `_pseudo`.
Frames where the teacher found none of the project's classes are left out unless `keep_empty`: an object the teacher
missed would otherwise teach the student that nothing is there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from workbench.core.errors import Problem, WorkbenchError
from workbench.features.finetune import sampling
from workbench.features.finetune.clips import Clip, ClipLibrary
from workbench.features.labeling.boxes import yolo_box
from workbench.features.labeling.class_map import ClassMap
from workbench.features.labeling.config import check_classes
from workbench.features.labeling.dataset import DatasetInfo, Sample, _safe, datasets_dir, write_dataset
from workbench.features.labeling.teacher import Teacher
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require

SUFFIX = "_pseudo"


@dataclass(frozen=True)
class PseudoSampling:
    """Which frames of each clip the teacher labels (as `workbench frames sample` chooses them)."""

    method: Literal["uniform", "scene"] = "uniform"
    every_s: float = 1.0  # uniform: seconds between frames
    threshold: float = 0.25  # scene: share of the picture that must change
    dedupe: int = 2  # hash bits (of 256) within which a frame is a near-duplicate; -1 keeps all
    max_frames: int = 0  # per clip, spread over it; 0: no limit
    keep_empty: bool = False  # keep frames where the teacher found nothing (as pictures without objects)


def pseudo_dir() -> Path:
    """Where pseudo-labelled parts are written: `<home>/datasets/pseudo/` (not a dataset folder of its own)."""
    return datasets_dir() / "pseudo"


def _frames(clip: Clip, options: PseudoSampling, library: ClipLibrary) -> list[sampling.FrameRef]:
    if options.method == "scene":
        refs = sampling.scene_change(clip, threshold=options.threshold, library=library)
    else:
        refs = sampling.uniform(clip, every_s=options.every_s, library=library)
    if options.dedupe >= 0:
        refs = sampling.dedupe(refs, max_distance=options.dedupe, library=library)
    return sampling.limit(refs, options.max_frames) if options.max_frames else refs


def _label_clip(clip: Clip, teacher: Teacher, mapping: ClassMap, classes: list[str], options: PseudoSampling,
                library: ClipLibrary) -> tuple[list[Sample], list[dict]]:
    """The clip's chosen frames, labelled by the teacher: samples to write and a record of every frame."""
    path = library.video_path(clip)
    samples, frames = [], []
    for index, image in sampling.iter_frames(path, [r.frame_index for r in _frames(clip, options, library)]):
        h, w = image.shape[:2]
        boxes, _ = mapping.apply(teacher.detect(image))
        labels = [(classes.index(b.cls), box) for b in boxes if (box := yolo_box(b.ls_value(w, h))) is not None]
        name = f"{_safe(clip.id)}__{index:06d}{SUFFIX}"
        kept = bool(labels) or options.keep_empty
        frames.append({"name": name, "clip": clip.id, "frame": index, "boxes": len(labels), "kept": kept})
        if kept:
            samples.append(Sample(clip=clip.id, name=name, labels=labels, video=path, frame=index))
    return samples, frames


def pseudo_label(clip_ids: Sequence[str], teacher: Teacher, mapping: Mapping[str, str] | None, classes: list[str],
                 options: PseudoSampling | None = None, library: ClipLibrary | None = None,
                 out_root: Path | None = None, actor: Actor | None = None) -> DatasetInfo:
    """Label the clips' sampled frames with `teacher` and write them as a pseudo-labelled part (see the module), for
    `actor` (clips.edit; recorded as `dataset.pseudo`)."""
    actor = require(actor, Permission.CLIPS_EDIT)
    info = _pseudo_label(clip_ids, teacher, mapping, classes, options, library, out_root)
    audit.record(actor, "dataset.pseudo", info.version, after={"teacher": teacher.version, "clips": list(clip_ids)})
    return info


def _pseudo_label(clip_ids: Sequence[str], teacher: Teacher, mapping: Mapping[str, str] | None, classes: list[str],
                  options: PseudoSampling | None, library: ClipLibrary | None, out_root: Path | None) -> DatasetInfo:
    options = options or PseudoSampling()
    library = library or ClipLibrary()
    classes = check_classes(classes)
    class_map = ClassMap.build(mapping, teacher.names, classes, teacher.model)
    clips = [library.get(c) for c in dict.fromkeys(clip_ids)]
    samples, frames = [], []
    for clip in clips:
        got, seen = _label_clip(clip, teacher, class_map, classes, options, library)
        samples += got
        frames += seen
    if not any(f["boxes"] for f in frames):
        raise WorkbenchError([Problem("pseudo_nothing_found", field="--teacher", params={
            "model": teacher.version, "frames": len(frames), "clips": ", ".join(c.id for c in clips),
            "classes": ", ".join(classes)})])
    provenance = {**teacher.provenance(), "mapping": class_map.to_dict(), "mapping_given": class_map.explicit,
                  "sampling": asdict(options), "clips": {c.id: c.sha256 for c in clips},
                  "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "frames": frames}
    return write_dataset([], classes, out_root or pseudo_dir(), val_fraction=0.0, pseudo=samples,
                         provenance=provenance)


@dataclass(frozen=True)
class PseudoPart:
    """A pseudo-labelled part read back: its folder, version, classes, samples and provenance."""

    path: Path
    version: str
    classes: list[str]
    samples: list[Sample]
    provenance: dict


def _read_labels(path: Path) -> list[tuple[int, tuple[float, float, float, float]]]:
    rows = [line.split() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(int(r[0]), (float(r[1]), float(r[2]), float(r[3]), float(r[4]))) for r in rows]


def find_part(ref: str | Path, root: Path | None = None) -> Path:
    """The folder of a part named by its version (under `<home>/datasets/pseudo`) or by its path (the folder, its
    data.yaml or dataset.json); an unknown one is a problem listing the parts there are."""
    root = root or pseudo_dir()
    given = Path(ref).expanduser()
    folders = [given.parent] if given.name in ("data.yaml", "dataset.json") else [given, root / str(ref)]
    for folder in folders:
        if (folder / "dataset.json").is_file() and str(ref).strip():
            manifest = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))
            if manifest.get("pseudo", {}).get("teacher"):
                return folder
    known = sorted(p.parent.name for p in root.glob("*/dataset.json")) if root.is_dir() else []
    raise WorkbenchError([Problem("dataset_pseudo_unknown", field="--pseudo", params={
        "part": str(ref), "root": str(root), "parts": ", ".join(known) or "-"})])


def load_part(ref: str | Path, root: Path | None = None) -> PseudoPart:
    """A part's samples (its image files and labels; frames whose files are gone are skipped) and provenance."""
    folder = find_part(ref, root)
    manifest = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))
    provenance = dict(manifest["pseudo"])
    samples = []
    for frame in provenance.get("frames", []):
        image = next((p for p in (folder / "images" / "train").glob(f"{frame['name']}.*")), None)
        labels = folder / "labels" / "train" / f"{frame['name']}.txt"
        if image is None or not labels.is_file():
            continue
        samples.append(Sample(clip=frame["clip"], name=frame["name"], labels=_read_labels(labels), image=image,
                              frame=int(frame["frame"])))
    return PseudoPart(folder, str(manifest["version"]), list(manifest["classes"]), samples, provenance)


def part_summary(part: PseudoPart) -> dict:
    """What a combined dataset records about a part: its version and provenance without the per-frame list."""
    return {"version": part.version, **{k: v for k, v in part.provenance.items()
                                        if k not in ("frames", "names", "images", "replaced_by_human",
                                                     "left_out_val")}}
