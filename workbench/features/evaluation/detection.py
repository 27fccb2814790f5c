"""Detection metrics of several models on the same held-out YOLO dataset, side by side (base vs fine-tuned).

Each model is validated by ultralytics (`model.val`) on the same `data.yaml` split and image size: mAP50, mAP50-95,
mean precision/recall and per-class precision, recall, mAP and instance count. Models are local weights files
(.pt through the safe loader, .onnx), model-zoo ids or registered models (models:/NAME@ALIAS), resolved by
`workbench.features.training.model_ref` like everywhere else a model is named. Every model must name the dataset's
classes in the dataset's order: class ids are compared, so a model with another class list would be scored against
the wrong labels.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import t
from workbench.core.safe_yaml import YamlSyntaxError, load_yaml_text
from workbench.features.evaluation.report import metric_key
from workbench.features.training.model_ref import resolve_model
from workbench.models.zoo import load_detector, read_class_names


@dataclass(frozen=True)
class ClassMetrics:
    name: str
    instances: int  # labeled boxes of this class in the split
    precision: float | None  # None: no labeled box of this class in the split
    recall: float | None
    map50: float | None
    map50_95: float | None


@dataclass(frozen=True)
class ModelMetrics:
    label: str
    model: str
    map50: float
    map50_95: float
    precision: float
    recall: float
    per_class: tuple[ClassMetrics, ...]
    instances: int  # labeled boxes in the split
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["per_class"] = [asdict(c) for c in self.per_class]
        return d


@dataclass(frozen=True)
class DetectionComparison:
    data: str
    split: str
    imgsz: int
    classes: tuple[str, ...]
    models: tuple[ModelMetrics, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"data": self.data, "split": self.split, "imgsz": self.imgsz, "classes": list(self.classes),
                "models": [m.to_dict() for m in self.models]}

    def metrics(self, prefix: str = "detection") -> dict[str, float]:
        """Flat `{key: float}` for MLflow: `detection.<model>.map50`, `detection.<model>.<class>.recall`, ..."""
        out: dict[str, float] = {}
        for m in self.models:
            for name in ("map50", "map50_95", "precision", "recall"):
                out[metric_key(prefix, m.label, name)] = float(getattr(m, name))
            for c in m.per_class:
                for name in ("precision", "recall", "map50", "map50_95"):
                    if (v := getattr(c, name)) is not None:
                        out[metric_key(prefix, m.label, c.name, name)] = float(v)
        return out

    def format_text(self, lang: str | None = None) -> str:
        head = [t("eval.col_model", lang), "mAP50", "mAP50-95", "P", "R"]
        rows = [[m.label, f"{m.map50:.3f}", f"{m.map50_95:.3f}", f"{m.precision:.3f}", f"{m.recall:.3f}"]
                for m in self.models]
        for cls in self.classes:
            for m in self.models:
                c = next(c for c in m.per_class if c.name == cls)
                rows.append([f"  {cls} @ {m.label} (n={c.instances})", _f(c.map50), _f(c.map50_95), _f(c.precision),
                             _f(c.recall)])
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                         for r in [head, *rows])


def _f(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def _names(raw: Any) -> list[str] | None:
    if isinstance(raw, dict):
        return [str(raw[k]) for k in sorted(raw)]
    if isinstance(raw, list):
        return [str(n) for n in raw]
    return None


def dataset_classes(data_yaml: str | Path) -> list[str]:
    """The class list of a YOLO data.yaml (names as a list or an id -> name mapping)."""
    path = Path(data_yaml)
    if not path.is_file():
        raise WorkbenchError([Problem("eval_data_missing", field="DATA_YAML", params={"path": str(path)})])
    try:
        data = load_yaml_text(path.read_text(encoding="utf-8"), origin=str(path))
    except (OSError, YamlSyntaxError) as exc:
        raise WorkbenchError([Problem("eval_data_bad", field="DATA_YAML",
                                      params={"path": str(path), "detail": str(exc).splitlines()[0]})]) from None
    names = _names(data.get("names")) if isinstance(data, dict) else None
    if not names:
        raise WorkbenchError([Problem("eval_data_bad", field="DATA_YAML",
                                      params={"path": str(path), "detail": "no class names (names:)"})])
    return names


def _labels(refs: Sequence[str | Path]) -> list[str]:
    out: list[str] = []
    for ref in refs:
        base = Path(ref).stem if Path(ref).suffix else str(ref)
        label, k = base, 2
        while label in out:
            label, k = f"{base}#{k}", k + 1
        out.append(label)
    return out


def _per_class(result: Any, names: Sequence[str]) -> tuple[ClassMetrics, ...]:
    box = result.box
    present = [int(i) for i in box.ap_class_index]
    counts = getattr(result, "nt_per_class", None)
    out = []
    for cid, name in enumerate(names):
        n = int(counts[cid]) if counts is not None and cid < len(counts) else 0
        if cid in present:
            p, r, ap50, ap = (float(v) for v in box.class_result(present.index(cid)))
            out.append(ClassMetrics(name, n, p, r, ap50, ap))
        else:
            out.append(ClassMetrics(name, n, None, None, None, None))
    return tuple(out)


@contextlib.contextmanager
def _quiet_ultralytics() -> Iterator[None]:
    from ultralytics.utils import LOGGER

    level = LOGGER.level
    LOGGER.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        LOGGER.setLevel(level)


def validate_model(ref: str | Path, data_yaml: str | Path, imgsz: int = 320, batch: int = 8, split: str = "val",
                   label: str | None = None, device: str = "cpu") -> ModelMetrics:
    """Validate one model on `data_yaml`'s `split`; its class names must equal the dataset's."""
    classes = dataset_classes(data_yaml)
    path = Path(resolve_model(str(ref), field="--model").weights)  # the one resolver training and labeling use
    names = read_class_names(path, field="--model")
    if names is not None and names != classes:
        raise WorkbenchError([Problem("eval_model_classes_differ", field="--model", params={
            "model": str(ref), "model_classes": ", ".join(names[:12]) + (" ..." if len(names) > 12 else ""),
            "data_classes": ", ".join(classes)})])
    model = load_detector(path, field="--model")
    began = time.perf_counter()
    # ultralytics writes a run folder (not into the repo) and prints its table to stdout (not into --json output)
    with tempfile.TemporaryDirectory(prefix="wb-val-") as tmp, _quiet_ultralytics():
        result = model.val(data=str(data_yaml), imgsz=imgsz, batch=batch, split=split, device=device, workers=0,
                           plots=False, save_json=False, verbose=False, project=tmp, name="val", exist_ok=True)
    box = result.box
    per_class = _per_class(result, classes)
    return ModelMetrics(label=label or _labels([ref])[0], model=str(path), map50=float(box.map50),
                        map50_95=float(box.map), precision=float(box.mp), recall=float(box.mr),
                        per_class=per_class, instances=sum(c.instances for c in per_class),
                        seconds=round(time.perf_counter() - began, 2))


def compare_models(data_yaml: str | Path, models: Sequence[str | Path], imgsz: int = 320, batch: int = 8,
                   split: str = "val", device: str = "cpu") -> DetectionComparison:
    """Validate every model on the same data, split and image size; results in the order given."""
    if not models:
        raise WorkbenchError([Problem("eval_no_models", field="--model")])
    classes = dataset_classes(data_yaml)
    results = tuple(validate_model(ref, data_yaml, imgsz, batch, split, label, device)
                    for ref, label in zip(models, _labels(models), strict=True))
    return DetectionComparison(data=str(data_yaml), split=split, imgsz=imgsz, classes=tuple(classes), models=results)
