"""What the Train page shows, as plain data: dataset and base-model choices, the form's fields, a job's progress
(epoch curves, ETA), and MLflow runs side by side. No Streamlit here; the page (workbench/apps/ui/pages/train.py) draws
it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from workbench.apps.ui.field_values import FieldSpec, field_specs
from workbench.apps.ui.forms import model_choices
from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import has, t
from workbench.core.safe_yaml import load_yaml_text
from workbench.features.labeling.dataset import datasets_dir
from workbench.features.training.config import TrainConfig
from workbench.features.training.tracking import EXPERIMENT, client

FORM_FIELDS = ("model_name", "epochs", "imgsz", "preset", "freeze_backbone", "device")
ADVANCED_FIELDS = ("batch", "patience", "seed")
COMPARED_PARAMS = ("base_model", "dataset_version", "epochs", "imgsz", "preset", "freeze_backbone", "batch",
                   "train_images", "val_images")
COMPARED_METRICS = ("mAP50", "mAP50-95", "precision", "recall")
QUALITY_METRICS = ("mAP50", "mAP50_95")
RUNS_SHOWN = 50
VERSIONS_SHOWN = 20


# -- the form ---------------------------------------------------------------------------------------------------------
def train_fields() -> dict[str, FieldSpec]:
    """TrainConfig's fields as form specs (widget kind, bounds, options, default)."""
    return {s.name: s for s in field_specs(TrainConfig.model_json_schema())}


def field_text(name: str, lang: str) -> str:
    """A form field's or compared parameter's label: `app.train.field.<name>`, else the name."""
    key = f"app.train.field.{name}"
    return t(key, lang) if has(key) else name


def form_config(values: dict[str, Any]) -> tuple[TrainConfig | None, list[Problem]]:
    """The form's values as a TrainConfig, or the fields that do not fit as `training_option_invalid` problems."""
    try:
        return TrainConfig(**values), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(x) for x in err["loc"])
            problems.append(Problem("training_option_invalid", field=where,
                                    params={"field": where, "detail": err["msg"]}))
        return None, problems


@dataclass(frozen=True)
class DatasetChoice:
    """One dataset folder `<home>/datasets/<version>/` with its counts."""

    version: str
    data_yaml: Path
    classes: tuple[str, ...]
    images: dict[str, int]  # per split
    boxes: int


def _count_split(root: Path, split: str) -> tuple[int, int]:
    images = root / "images" / split
    labels = root / "labels" / split
    n_images = sum(1 for p in images.iterdir() if p.is_file()) if images.is_dir() else 0
    n_boxes = sum(len([ln for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()])
                  for p in labels.glob("*.txt")) if labels.is_dir() else 0
    return n_images, n_boxes


def read_dataset(data_yaml: Path) -> DatasetChoice | None:
    """A dataset's choice entry (counts from dataset.json when the builder wrote one); None if unreadable."""
    try:
        data = load_yaml_text(data_yaml.read_text(encoding="utf-8"), origin=str(data_yaml))
        names = data["names"]
        classes = tuple(str(names[k]) for k in sorted(names)) if isinstance(names, dict) else tuple(map(str, names))
    except (OSError, WorkbenchError, KeyError, TypeError, ValueError):  # refused YAML too: not offered
        return None
    root = data_yaml.parent
    manifest = root / "dataset.json"
    if manifest.is_file():
        info = json.loads(manifest.read_text(encoding="utf-8"))
        images, boxes = dict(info.get("images", {})), sum(info.get("boxes", {}).values())
    else:
        counts = {split: _count_split(root, split) for split in ("train", "val")}
        images, boxes = {s: c[0] for s, c in counts.items()}, sum(c[1] for c in counts.values())
    return DatasetChoice(root.name, data_yaml.resolve(), classes, images, boxes)


def list_datasets(root: Path | None = None) -> list[DatasetChoice]:
    """Every `<root>/*/data.yaml` (default `<home>/datasets`), newest first."""
    root = root or datasets_dir()
    found = sorted(root.glob("*/data.yaml"), key=lambda p: p.stat().st_mtime, reverse=True) if root.is_dir() else []
    return [c for c in (read_dataset(p) for p in found if not p.parent.name.startswith(".")) if c is not None]


def dataset_label(choice: DatasetChoice, lang: str) -> str:
    return t("app.train.dataset_option", lang, version=choice.version, train=choice.images.get("train", 0),
             val=choice.images.get("val", 0), boxes=choice.boxes, classes=len(choice.classes))


@dataclass(frozen=True)
class BaseChoice:
    """A base model the form offers: `value` is TrainConfig.base_model."""

    value: str
    kind: str  # zoo | architecture | registry
    present: bool = True  # zoo: weights on this machine
    aliases: tuple[str, ...] = ()


def zoo_base_choices() -> list[BaseChoice]:
    """Model-zoo models (with whether their weights are here) and, for YOLO ones, their untrained architecture."""
    zoo = [BaseChoice(c.id, "zoo", c.present) for c in model_choices()]
    architectures = [BaseChoice(f"{c.value}.yaml", "architecture") for c in zoo if c.value.startswith("yolo")]
    return zoo + architectures


def store_exists(uri: str) -> bool:
    """False for an embedded sqlite store whose file is not there yet (nothing recorded; do not create it)."""
    return not uri.startswith("sqlite:///") or Path(uri.removeprefix("sqlite:///")).is_file()


def registered_base_choices(uri: str) -> list[BaseChoice]:
    """Registered models as `models:/NAME@ALIAS` (one per alias) and `models:/NAME/VERSION` (newest first)."""
    if not store_exists(uri):
        return []
    mlflow = client(uri)
    choices = []
    for model in mlflow.search_registered_models():
        for alias in sorted(model.aliases):
            choices.append(BaseChoice(f"models:/{model.name}@{alias}", "registry", aliases=(alias,)))
        versions = mlflow.search_model_versions(f"name='{model.name}'", max_results=VERSIONS_SHOWN,
                                                order_by=["version_number DESC"])
        for v in versions:  # search results carry no aliases: the registered model's {alias: version} has them
            aliases = tuple(sorted(a for a, n in model.aliases.items() if str(n) == str(v.version)))
            choices.append(BaseChoice(f"models:/{model.name}/{v.version}", "registry", aliases=aliases))
    return choices


def base_label(choice: BaseChoice, lang: str) -> str:
    if choice.kind == "zoo":
        status = t("app.forms.weights_present" if choice.present else "app.forms.weights_missing", lang)
        return t("app.train.base_zoo", lang, model=choice.value, status=status)
    if choice.kind == "architecture":
        return t("app.train.base_architecture", lang, model=choice.value)
    aliases = ", ".join(choice.aliases) or "-"
    return t("app.train.base_registered", lang, model=choice.value, aliases=aliases)


# -- a running job ----------------------------------------------------------------------------------------------------
def metric_label(name: str, lang: str) -> str:
    """`train/box_loss` -> the translated `box_loss`; unknown names stay as they are."""
    short = name.split("/")[-1]
    key = f"app.train.metric.{short}"
    return t(key, lang) if has(key) else name


def epoch_curves(progress: dict[str, Any], lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(losses, mAP) per finished epoch, indexed by epoch, columns labelled for people."""
    history = progress.get("history") or []
    epochs = [h["epoch"] for h in history]
    losses = pd.DataFrame([h.get("losses") or {} for h in history], index=epochs)
    quality = pd.DataFrame([{k: h.get(k) for k in QUALITY_METRICS} for h in history], index=epochs, dtype=float)
    losses.columns = [metric_label(c, lang) for c in losses.columns]
    quality.columns = [metric_label(c.replace("_", "-"), lang) for c in quality.columns]
    for frame in (losses, quality):
        frame.index.name = t("app.train.epoch", lang)
    return losses, quality


def progress_fraction(progress: dict[str, Any]) -> float:
    """How much of the training is done, counting the batches of the current epoch."""
    epochs = progress.get("epochs") or 0
    if not epochs:
        return 0.0
    batches = progress.get("batches") or 0
    done_epochs = len(progress.get("history") or [])
    partial = progress.get("batch", 0) / batches if batches and progress.get("epoch", 0) < epochs else 0.0
    return min((done_epochs + min(partial, 1.0)) / epochs, 1.0)


def eta_seconds(progress: dict[str, Any]) -> float | None:
    """Seconds left, from the mean epoch time; None before the first epoch ended."""
    per_epoch = progress.get("seconds_per_epoch")
    epochs = progress.get("epochs") or 0
    if not per_epoch or not epochs:
        return None
    return max(per_epoch * epochs * (1.0 - progress_fraction(progress)), 0.0)


def format_duration(seconds: float | None) -> str:
    """`1:05`, `1:02:03`, or `?` when unknown."""
    if seconds is None:
        return "?"
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def result_warnings(result: dict[str, Any] | None) -> list[Problem]:
    """The warnings a finished training recorded (e.g. MLflow server down -> logged locally), as Problems."""
    return [Problem(w["code"], field=w.get("field"), params=w.get("params") or {}, severity="warning")
            for w in (result or {}).get("warnings", [])]


LOUD_VERDICTS = frozenset({"zero", "no_better"})


def loud_warnings(result: dict[str, Any] | None) -> list[Problem]:
    """The verdict's warnings (scores 0, no better than its base): shown as errors, not among the other warnings."""
    return [p for p in result_warnings(result) if p.field == "mAP50"]


def quiet_warnings(result: dict[str, Any] | None) -> list[Problem]:
    return [p for p in result_warnings(result) if p.field != "mAP50"]


def notices(progress: dict[str, Any]) -> list[Problem]:
    """Warnings a running training already knows (e.g. freezing switched off on an untrained base)."""
    return [Problem(n["code"], field=n.get("field"), params=n.get("params") or {}, severity="warning")
            for n in progress.get("notices") or []]


def base_untrained(value: str) -> bool | None:
    """Whether a base model's backbone was never trained: True for an architecture, read from the weights for a zoo
    entry or file on this machine, None when it cannot be told without fetching it (a registered model)."""
    from workbench.features.training.config import base_model_kind
    from workbench.features.training.model_ref import resolve_model
    from workbench.features.training.quality import backbone_untrained
    from workbench.models.zoo import safe_checkpoint

    kind = base_model_kind(value)
    if kind == "architecture":
        return True
    if kind == "registry":
        return None
    try:
        weights = Path(resolve_model(value, field="base_model", trainable=True).weights)
        ckpt = safe_checkpoint(weights)
    except WorkbenchError:
        return None  # missing weights and the like are said where the base is picked and at start
    return backbone_untrained(ckpt.get("ema") or ckpt["model"])


def promotion_table(check: Any, lang: str) -> pd.DataFrame:
    """The candidate beside the alias' current holder, one row per number (training.promotion)."""
    from workbench.features.training.promotion import comparison_rows

    rows = comparison_rows(check, lang)
    columns = [t("promotion.candidate", lang), t("promotion.current", lang, alias=check.alias)]
    return pd.DataFrame([r[1:] for r in rows], index=[r[0] for r in rows], columns=columns)


def version_aliases(uri: str, name: str, version: str) -> list[str]:
    """The aliases pointing at one registered model version (e.g. candidate, champion)."""
    if not store_exists(uri):
        return []
    return sorted(client(uri).get_model_version(name, str(version)).aliases)


# -- MLflow runs side by side -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunSummary:
    """One training run as recorded in MLflow."""

    run_id: str
    name: str
    status: str
    start_time: int  # ms since the epoch
    params: dict[str, str]
    metrics: dict[str, float]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.run_id[:8]})"


def training_runs(uri: str, limit: int = RUNS_SHOWN) -> list[RunSummary]:
    """The training experiment's runs, newest first."""
    if not store_exists(uri):
        return []
    mlflow = client(uri)
    experiment = mlflow.get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        return []
    runs = mlflow.search_runs([experiment.experiment_id], max_results=limit, order_by=["attributes.start_time DESC"])
    return [RunSummary(r.info.run_id, r.info.run_name or r.info.run_id, r.info.status, r.info.start_time or 0,
                       dict(r.data.params), dict(r.data.metrics)) for r in runs]


def comparison_table(runs: list[RunSummary], lang: str) -> pd.DataFrame:
    """Parameters and final metrics, one column per run, one row per parameter/metric."""
    rows: dict[str, list[str]] = {}
    for name in COMPARED_PARAMS:
        rows[field_text(name, lang)] = [r.params.get(name, "") for r in runs]
    rows[t("app.train.status", lang)] = [t(f"app.train.run_status.{r.status}", lang) for r in runs]
    for name in COMPARED_METRICS:
        rows[metric_label(name, lang)] = ["" if name not in r.metrics else f"{r.metrics[name]:.3f}" for r in runs]
    return pd.DataFrame(rows, index=[r.label for r in runs]).T


def map50_curves(uri: str, runs: list[RunSummary], lang: str) -> pd.DataFrame:
    """mAP50 per epoch, one column per run (overlaid in one chart)."""
    mlflow = client(uri)
    series = {r.label: pd.Series({m.step: m.value for m in mlflow.get_metric_history(r.run_id, "mAP50")}, dtype=float)
              for r in runs}
    frame = pd.DataFrame(series).sort_index()
    frame.index.name = t("app.train.epoch", lang)
    return frame
