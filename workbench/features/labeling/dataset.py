"""Pulled annotations -> a YOLO dataset split by clip, named by its content hash (the dataset version).

Layout of `<home>/datasets/<version>/`: `images/{train,val}/`, `labels/{train,val}/` (one `class cx cy w h` line per
box, normalised), `data.yaml` (absolute `path`, `names` in class-id order) and `dataset.json` (classes, clips per
split, counts, warnings). Frames of one clip are all in train or all in val, never both.
Version = first 16 hex of sha256 over the class list (JSON) and, for every file under images/ and labels/ sorted by
relative path, that path and the file's sha256 (`dataset_version`). Ultralytics' `labels/*.cache` files (written
beside the labels when training) and hidden files are not part of the content.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import yaml
from label_studio_sdk._extensions.label_studio_tools.postprocessing.video import extract_key_frames

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.paths import workbench_home
from workbench.features.labeling.boxes import yolo_box, yolo_line
from workbench.features.labeling.pull import load_state, stored_tasks
from workbench.features.labeling.split import Split, split_clips, split_warnings
from workbench.models.zoo import sha256_of
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require

YoloBox = tuple[float, float, float, float]


@dataclass
class Sample:
    """One dataset image: a file copied as is, or frame `frame` (0-based) of `video`; its boxes as (class id, box).
    An image file's `frame` is its index in the clip when known (merging pseudo-labels matches frames by it)."""

    clip: str
    name: str
    labels: list[tuple[int, YoloBox]]
    image: Path | None = None
    video: Path | None = None
    frame: int | None = None


@dataclass
class DatasetInfo:
    version: str
    path: Path
    classes: list[str]
    train_clips: list[str]
    val_clips: list[str]
    images: dict[str, int]
    boxes: dict[str, int]
    warnings: list[Problem] = field(default_factory=list)
    boxes_per_split: dict[str, dict[str, int]] = field(default_factory=dict)
    val_fraction_asked: float | None = None  # None: validation clips chosen by name
    pseudo: dict = field(default_factory=dict)  # pseudo-labelled images: provenance, counts, names (none: {})


def datasets_dir() -> Path:
    return workbench_home() / "datasets"


def _safe(text: str) -> str:
    return re.sub(r"[^\w.-]", "_", str(text)) or "_"


def dataset_version(root: Path, classes: list[str]) -> str:
    """The content hash of a dataset folder (see the module docstring)."""
    h = hashlib.sha256(json.dumps(list(classes), ensure_ascii=False).encode("utf-8"))
    files = [p for sub in ("images", "labels") if (root / sub).is_dir() for p in (root / sub).rglob("*")
             if p.is_file() and p.suffix != ".cache" and not p.name.startswith(".")]
    for rel, path in sorted((p.relative_to(root).as_posix(), p) for p in files):
        h.update(f"\n{rel}\0{sha256_of(path)}".encode())
    return h.hexdigest()[:16]


def _class_id(name: str, classes: list[str], warnings: list[Problem], where: str) -> int | None:
    if name in classes:
        return classes.index(name)
    warnings.append(Problem("dataset_unknown_class", node=where, severity="warning",
                            params={"name": name, "classes": ", ".join(classes)}))
    return None


def _image_sample(record: dict, classes: list[str], root: Path, warnings: list[Problem]) -> Sample:
    data = record["data"]
    labels = []
    for r in record["annotation"]["result"] or []:
        if r.get("type") != "rectanglelabels":
            continue
        cid = _class_id(r["value"]["rectanglelabels"][0], classes, warnings, f"task {record['task']}")
        box = yolo_box(r["value"])
        if cid is not None and box is not None:
            labels.append((cid, box))
    path = root / data["source"]
    clip = str(data.get("clip") or Path(data["source"]).parent.name)
    frame = data.get("frame")
    frame = int(frame) if frame is not None else int(path.stem) if path.stem.isdigit() else None  # <index:06d>.jpg
    return Sample(clip=clip, name=f"{_safe(clip)}__{_safe(path.stem)}", labels=labels, image=path, frame=frame)


def _video_samples(record: dict, classes: list[str], root: Path, frame_step: int,
                   warnings: list[Problem]) -> list[Sample]:
    """Every `frame_step`-th frame of the video with the tracks' boxes there (keyframes interpolated by the SDK)."""
    data = record["data"]
    results = [r for r in record["annotation"]["result"] or [] if r.get("type") == "videorectangle"]
    per_frame: dict[int, list[tuple[int, YoloBox]]] = defaultdict(list)
    n_frames = int(data.get("frames") or 0)
    for r in extract_key_frames(results):
        n_frames = max(n_frames, int(r["value"].get("framesCount") or 0))
        names = r["value"].get("labels") or []
        if not names:
            warnings.append(Problem("dataset_track_without_label", node=f"task {record['task']}", severity="warning"))
            continue
        cid = _class_id(names[0], classes, warnings, f"task {record['task']}")
        if cid is None:
            continue
        seen: set[int] = set()
        for item in r["value"]["sequence"]:
            index = int(item["frame"]) - 1  # Label Studio numbers video frames from 1
            box = yolo_box(item)
            if index in seen or box is None:
                continue
            seen.add(index)
            per_frame[index].append((cid, box))
    clip = str(data.get("clip") or Path(data["source"]).stem)
    video = root / data["source"]
    return [Sample(clip=clip, name=f"{_safe(clip)}__f{i:06d}", labels=per_frame.get(i, []), video=video, frame=i)
            for i in range(0, n_frames, max(1, frame_step))]


def agreeing_classes(classes: list[str], theirs: list[str], title: str) -> list[str]:
    """The longer of two class lists when one begins with the other (ids agree), else a problem naming `title`."""
    longer = max(classes, theirs, key=len)
    if longer[: len(theirs)] != theirs or longer[: len(classes)] != classes:
        raise WorkbenchError([Problem("dataset_classes_differ", params={
            "a": ", ".join(classes), "b": ", ".join(theirs), "project": title})])
    return list(longer)


def samples_from_stores(stores: Sequence[Path], document_root: Path | None = None,
                        frame_step: int = 1) -> tuple[list[Sample], list[str], list[Problem]]:
    """Samples, the class list and warnings from pulled project stores (their class lists must agree)."""
    root = (document_root or workbench_home()).resolve()
    classes: list[str] = []
    samples: list[Sample] = []
    warnings: list[Problem] = []
    for store in stores:
        project = load_state(store).get("project")
        if not project:
            raise WorkbenchError([Problem("dataset_not_pulled", params={"store": str(store)})])
        classes = agreeing_classes(classes, project["classes"], project["title"])
        for record in stored_tasks(store):
            if project["kind"] == "video":
                samples += _video_samples(record, classes, root, frame_step, warnings)
            else:
                samples.append(_image_sample(record, classes, root, warnings))
    return samples, classes, warnings


def _write_images(samples: list[Sample], split_of: dict[str, str], tmp: Path, warnings: list[Problem]) -> list[Sample]:
    """Copy image files and cut video frames into `tmp/images/<split>/`; returns the samples written."""
    written = []
    for s in (s for s in samples if s.image is not None):
        assert s.image is not None
        if not s.image.is_file() or cv2.imread(str(s.image)) is None:
            warnings.append(Problem("dataset_image_corrupt", severity="warning", params={"path": str(s.image)}))
            continue
        shutil.copyfile(s.image, tmp / "images" / split_of[s.clip] / f"{s.name}{s.image.suffix.lower()}")
        written.append(s)
    by_video: dict[Path, dict[int, Sample]] = defaultdict(dict)
    for s in samples:
        if s.video is not None and s.frame is not None:
            by_video[s.video][s.frame] = s
    for video, wanted in by_video.items():
        cap = cv2.VideoCapture(str(video))
        index, last = 0, max(wanted)
        while index <= last:
            ok, img = cap.read()
            if not ok:
                break
            if index in wanted:
                s = wanted[index]
                cv2.imwrite(str(tmp / "images" / split_of[s.clip] / f"{s.name}.jpg"), img,
                            [cv2.IMWRITE_JPEG_QUALITY, 95])
                written.append(s)
            index += 1
        cap.release()
        if index == 0:
            warnings.append(Problem("dataset_video_unreadable", severity="warning", params={"path": str(video)}))
    return written


def _write_labels(written: list[Sample], split_of: dict[str, str], tmp: Path,
                  classes: list[str]) -> dict[str, dict[str, int]]:
    """One label file per written image; boxes per class in each split."""
    per_split = {sp: {c: 0 for c in classes} for sp in ("train", "val")}
    for s in written:
        lines = [yolo_line(cid, box) for cid, box in s.labels]
        (tmp / "labels" / split_of[s.clip] / f"{s.name}.txt").write_text(
            "".join(line + "\n" for line in lines), encoding="utf-8")
        for cid, _ in s.labels:
            per_split[split_of[s.clip]][classes[cid]] += 1
    return per_split


def class_warnings(per_split: dict[str, dict[str, int]], has_val: bool) -> list[Problem]:
    """Classes with no box at all, with boxes only in validation (never learned), or none in validation (never
    measured)."""
    classes = list(per_split["train"])
    nowhere = [c for c in classes if per_split["train"][c] == 0 and per_split["val"][c] == 0]
    warnings = []
    if nowhere:
        warnings.append(Problem("dataset_class_without_boxes", severity="warning",
                                params={"classes": ", ".join(nowhere)}))
    not_train = [c for c in classes if per_split["train"][c] == 0 and c not in nowhere]
    if not_train:
        warnings.append(Problem("dataset_class_not_in_train", severity="warning", params={
            "classes": ", ".join(not_train)}))
    not_val = [c for c in classes if has_val and per_split["val"][c] == 0 and c not in nowhere]
    if not_val:
        warnings.append(Problem("dataset_class_not_in_val", severity="warning", params={
            "classes": ", ".join(not_val)}))
    return warnings


def _split(samples: Sequence[Sample], val_fraction: float, val_clips: Sequence[str] | None, seed: int,
           warnings: list[Problem]) -> Split:
    split = split_clips([s.clip for s in samples], val_fraction, val_clips, seed)
    if not split.val and (val_fraction > 0 or val_clips):
        warnings.append(Problem("dataset_no_val_clip", severity="warning", params={"clips": ", ".join(split.train)}))
    warnings.extend(split_warnings(split))
    return split


def _frame_key(s: Sample) -> tuple[str, object]:
    """Which frame of which clip a sample shows (its name when its index is unknown)."""
    return (s.clip, s.frame if s.frame is not None else s.name)


def merge_pseudo(samples: Sequence[Sample], pseudo: Sequence[Sample], val: Sequence[str],
                 warnings: list[Problem]) -> tuple[list[Sample], dict[str, int]]:
    """The pseudo-labelled samples to add to human-labelled `samples`: not a frame a human labelled (the human's
    labels win), and not of a validation clip (a score measured on a teacher's labels says how alike the two
    models are, not how right; moving the frames to training would put one clip on both sides)."""
    human = {_frame_key(s) for s in samples}
    replaced = [p for p in pseudo if _frame_key(p) in human]
    in_val = [p for p in pseudo if _frame_key(p) not in human and p.clip in val]
    if in_val:
        warnings.append(Problem("dataset_pseudo_val_left_out", severity="warning", params={
            "count": len(in_val), "clips": ", ".join(sorted({p.clip for p in in_val}))}))
    kept = [p for p in pseudo if _frame_key(p) not in human and p.clip not in val]
    return kept, {"replaced_by_human": len(replaced), "left_out_val": len(in_val)}


def _planned(samples: Sequence[Sample], pseudo: Sequence[Sample], val_fraction: float,
             val_clips: Sequence[str] | None, seed: int, warnings: list[Problem]) -> tuple[list[Sample], Split, dict]:
    """Every sample to write, the split (chosen among the human-labelled clips when there are any; the other clips
    train) and what happened to the pseudo-labelled samples."""
    split = _split(samples or pseudo, val_fraction, val_clips, seed, warnings)
    note: dict = {}
    if samples and pseudo:
        pseudo, note = merge_pseudo(samples, pseudo, split.val, warnings)
    elif pseudo and split.val:
        warnings.append(Problem("dataset_val_pseudo", severity="warning", params={"clips": ", ".join(split.val)}))
    everything = [*samples, *pseudo] if samples else list(pseudo)
    names = [s.name for s in everything]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})[:3]
        raise WorkbenchError([Problem("dataset_duplicate_frames", params={"names": ", ".join(dup)})])
    train = sorted({s.clip for s in everything} - set(split.val))
    return everything, Split(train, split.val, split.images, split.asked), {**note, "names": {s.name for s in pseudo}}


def write_dataset(samples: Sequence[Sample], classes: list[str], out_root: Path | None = None,
                  val_fraction: float = 0.2, val_clips: Sequence[str] | None = None, seed: int = 0,
                  warnings: list[Problem] | None = None, pseudo: Sequence[Sample] = (),
                  provenance: dict | None = None) -> DatasetInfo:
    """Write samples as a YOLO dataset under `<out_root>/<version>/` (reused when that version exists).

    `pseudo`: pseudo-labelled samples merged in (see `merge_pseudo`); `provenance`, where they came from, is kept
    with what the merge did in dataset.json's `pseudo`."""
    warnings = list(warnings or [])
    if not samples and not pseudo:
        raise WorkbenchError([Problem("dataset_empty")])
    everything, split, note = _planned(list(samples), list(pseudo), val_fraction, val_clips, seed, warnings)
    train, val = split.train, split.val
    split_of = {c: "train" for c in train} | {c: "val" for c in val}
    out_root = out_root or datasets_dir()
    tmp = out_root / f".building-{uuid.uuid4().hex[:8]}"
    try:
        for sub in ("images", "labels"):
            for sp in ("train", "val"):
                (tmp / sub / sp).mkdir(parents=True)
        written = _write_images(everything, split_of, tmp, warnings)
        if not written:
            raise WorkbenchError([Problem("dataset_empty")])
        per_split = _write_labels(written, split_of, tmp, classes)
        warnings.extend(class_warnings(per_split, bool(val)))
        version = dataset_version(tmp, classes)
        final = out_root / version
        if final.exists():
            shutil.rmtree(tmp)
        else:
            tmp.rename(final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    counts = {c: per_split["train"][c] + per_split["val"][c] for c in classes}
    images = {sp: sum(1 for s in written if split_of[s.clip] == sp) for sp in ("train", "val")}
    info = DatasetInfo(version=version, path=final.resolve(), classes=list(classes), train_clips=train,
                       val_clips=val, images=images, boxes=counts, warnings=warnings, boxes_per_split=per_split,
                       val_fraction_asked=split.asked, pseudo=_pseudo_note(written, split_of, note, provenance))
    data_yaml = {"path": str(info.path), "train": "images/train", "val": "images/val" if val else "images/train",
                 "names": dict(enumerate(classes))}
    (final / "data.yaml").write_text(yaml.safe_dump(data_yaml, allow_unicode=True, sort_keys=False), encoding="utf-8")
    manifest = {**asdict(info), "path": str(info.path), "warnings": [w.to_dict() for w in warnings]}
    (final / "dataset.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return info


def _pseudo_note(written: list[Sample], split_of: dict[str, str], note: dict, provenance: dict | None) -> dict:
    """dataset.json's `pseudo`: provenance, pseudo-labelled images per split and by name, what the merge did."""
    names = note.pop("names", set())
    if not names and not provenance:
        return {}
    kept = [s for s in written if s.name in names]
    return {**(provenance or {}), **note, "images": {sp: sum(1 for s in kept if split_of[s.clip] == sp)
                                                     for sp in ("train", "val")},
            "names": sorted(s.name for s in kept)}


def build_dataset(stores: Sequence[Path], out_root: Path | None = None, val_fraction: float = 0.2,
                  val_clips: Sequence[str] | None = None, seed: int = 0, frame_step: int = 1,
                  document_root: Path | None = None, pseudo_parts: Sequence[str | Path] = (),
                  actor: Actor | None = None) -> DatasetInfo:
    """Pulled project stores (and pseudo-labelled parts, by version or path) -> a versioned YOLO dataset, for
    `actor` (clips.edit; recorded as `dataset.build`).

    A frame in two parts is taken from the first part given; a frame a human labelled is taken from the human."""
    actor = require(actor, Permission.CLIPS_EDIT)
    info = _build_dataset(stores, out_root, val_fraction, val_clips, seed, frame_step, document_root, pseudo_parts)
    audit.record(actor, "dataset.build", info.version, after={"images": dict(info.images), "classes": info.classes})
    return info


def _build_dataset(stores: Sequence[Path], out_root: Path | None, val_fraction: float,
                   val_clips: Sequence[str] | None, seed: int, frame_step: int, document_root: Path | None,
                   pseudo_parts: Sequence[str | Path]) -> DatasetInfo:
    from workbench.features.labeling.pseudo import load_part, part_summary

    samples, classes, warnings = samples_from_stores(stores, document_root, frame_step)
    pseudo: list[Sample] = []
    seen: set[tuple[str, object]] = set()
    parts = []
    for ref in pseudo_parts:
        part = load_part(ref)
        classes = agreeing_classes(classes, part.classes, f"pseudo {part.version}")
        pseudo += [s for s in part.samples if _frame_key(s) not in seen]
        seen |= {_frame_key(s) for s in part.samples}
        parts.append(part_summary(part))
    return write_dataset(samples, classes, out_root, val_fraction, val_clips, seed, warnings, pseudo=pseudo,
                         provenance={"parts": parts} if parts else None)
