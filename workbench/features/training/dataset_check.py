"""Read a YOLO dataset (`data.yaml`), compute its version, and find what would spoil a training before it starts.

ultralytics itself drops corrupt images and bad label files with a log line and trains on the rest, fails late on
an empty split, and happily trains a detector on one class of a multi-class list. Here each of those becomes a
Problem the user sees before any CPU-minute is spent. Images and labels are verified with ultralytics' own
`verify_image_label`, so what passes here is what ultralytics will load.

Dataset version: `workbench.features.labeling.dataset.dataset_version` (the shared convention; one implementation), so a
training records the same version the dataset builder wrote.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.safe_yaml import YamlSyntaxError, load_yaml_text
from workbench.features.labeling.dataset import dataset_version

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
SHOWN = 5  # file names listed in a problem


@dataclass(frozen=True)
class SplitSummary:
    """One split (train or val): its images and what their labels hold."""

    images: tuple[Path, ...]
    boxes_per_class: dict[int, int]
    corrupt: tuple[tuple[str, str], ...] = ()  # (file, reason)


@dataclass(frozen=True)
class DatasetInfo:
    """A checked dataset: where it is, its classes (id = position), its version and split summaries."""

    data_yaml: Path
    root: Path
    classes: tuple[str, ...]
    version: str
    train: SplitSummary
    val: SplitSummary
    warnings: tuple[Problem, ...] = field(default_factory=tuple)


def _problem(code: str, /, severity: str = "error", **params: Any) -> Problem:
    return Problem(code=code, field="data", params=params, severity=severity)


def _class_list(names: Any) -> list[str] | None:
    if isinstance(names, dict):
        try:
            keys = sorted(int(k) for k in names)
        except (TypeError, ValueError):
            return None
        return [str(names[k]) for k in keys] if keys == list(range(len(keys))) else None
    if isinstance(names, list):
        return [str(n) for n in names]
    return None


def read_data_yaml(path: str | Path) -> tuple[Path, list[str], dict[str, Path]]:
    """(dataset root, class list, {"train": images dir, "val": images dir}); malformed files are problems."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise WorkbenchError([_problem("train_data_missing", path=str(path))])
    try:
        data = load_yaml_text(path.read_text(encoding="utf-8"), origin=str(path))
    except (OSError, UnicodeDecodeError, YamlSyntaxError) as exc:
        raise WorkbenchError([_problem("train_data_yaml_invalid", path=str(path), detail=str(exc).splitlines()[0])]) \
            from exc
    classes = _class_list(data.get("names")) if isinstance(data, dict) else None
    if not isinstance(data, dict) or not classes or not data.get("train") or not data.get("val"):
        raise WorkbenchError([_problem("train_data_yaml_invalid", path=str(path),
                                       detail="needs names (the class list), train and val")])
    root = Path(str(data.get("path") or path.parent)).expanduser()
    root = root if root.is_absolute() else (path.parent / root)
    splits = {}
    for split in ("train", "val"):
        value = data[split]
        if not isinstance(value, str):
            raise WorkbenchError([_problem("train_data_yaml_invalid", path=str(path),
                                           detail=f"{split} must be one folder of images")])
        folder = Path(value).expanduser()
        splits[split] = (folder if folder.is_absolute() else root / folder).resolve()
    return root.resolve(), classes, splits


def _label_path(image: Path) -> Path:
    """ultralytics' rule: the last `images` folder in the path becomes `labels`, the suffix `.txt`."""
    from ultralytics.data.utils import img2label_paths

    return Path(img2label_paths([str(image)])[0])


def _scan_split(images_dir: Path, n_classes: int) -> SplitSummary:
    from ultralytics.data.utils import verify_image_label

    images = tuple(sorted(p for p in images_dir.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)) \
        if images_dir.is_dir() else ()
    boxes: Counter[int] = Counter()
    corrupt = []
    for image in images:
        result = verify_image_label((str(image), str(_label_path(image)), "", False, n_classes, 0, 0, False))
        if result[0] is None:  # ultralytics would drop this image
            corrupt.append((str(image.relative_to(images_dir)), _reason(str(result[-1]))))
            continue
        boxes.update(int(c) for c in result[1][:, 0])
    return SplitSummary(images=images, boxes_per_class=dict(boxes), corrupt=tuple(corrupt))


def _reason(message: str) -> str:
    """ultralytics' log line without its file name and prefix: just why the file cannot be used."""
    return message.split("ignoring corrupt image/label: ")[-1].strip()[:200]


def _problems(classes: list[str], train: SplitSummary, val: SplitSummary, splits: dict[str, Path]) -> list[Problem]:
    problems = []
    for name, split in (("train", train), ("val", val)):
        if split.corrupt:
            shown = "; ".join(f"{f} ({why})" for f, why in split.corrupt[:SHOWN])
            problems.append(_problem("train_data_corrupt_images", split=name, count=len(split.corrupt), files=shown,
                                     folder=str(splits[name])))
        if len(split.images) == len(split.corrupt) or not split.boxes_per_class:
            problems.append(_problem("train_data_empty", split=name, folder=str(splits[name]),
                                     images=len(split.images) - len(split.corrupt)))
    if problems:
        return problems
    used = sorted(train.boxes_per_class)
    unused = [classes[i] for i in range(len(classes)) if i not in train.boxes_per_class]
    if len(classes) > 1 and len(used) == 1:
        problems.append(_problem("train_data_single_class", present=classes[used[0]], missing=", ".join(unused)))
    elif unused:
        problems.append(_problem("train_data_class_without_boxes", "warning", missing=", ".join(unused)))
    unmeasured = [classes[i] for i in used if i not in val.boxes_per_class]
    if unmeasured:  # learned but never checked: the val score says nothing about them
        problems.append(_problem("train_data_class_not_in_val", "warning", missing=", ".join(unmeasured),
                                 folder=str(splits["val"])))
    return problems


def check_dataset(data_yaml: str | Path) -> DatasetInfo:
    """Read and verify a dataset; every error at once as a WorkbenchError, warnings kept in `DatasetInfo`."""
    from workbench.models.ultralytics_env import prepare_ultralytics

    prepare_ultralytics()
    root, classes, splits = read_data_yaml(data_yaml)
    train, val = (_scan_split(splits[s], len(classes)) for s in ("train", "val"))
    problems = _problems(classes, train, val, splits)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise WorkbenchError(errors)
    return DatasetInfo(data_yaml=Path(data_yaml).resolve(), root=root, classes=tuple(classes),
                       version=dataset_version(root, classes), train=train, val=val,
                       warnings=tuple(p for p in problems if p.severity == "warning"))
