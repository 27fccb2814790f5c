"""One fine-tuning, start to end: check the dataset, resolve the base model, train with ultralytics, export ONNX,
record everything in one MLflow run and register the model as a new version with the alias "candidate".

`train()` runs in the calling process; `workbench.features.training.jobs` runs it in a background worker. A cancel (the
`should_stop` callable turning true) stops between two batches: the run is marked KILLED and no model version is
registered. Registration is the very last step, so a failure before it never leaves a half-registered model.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.features.training.base_model import resolve_base_model
from workbench.features.training.config import TrainConfig
from workbench.features.training.dataset_check import DatasetInfo, check_dataset
from workbench.features.training.quality import (
    BASE_MAP50_METRIC,
    VERDICT_TAG,
    Quality,
    backbone_untrained,
    base_map50,
    freeze_warning,
    judge,
)
from workbench.features.training.tracking import CANDIDATE, Tracking, TrainingRecord, choose_tracking, json_tag

ULTRALYTICS_DIR, MODEL_DIR = "ultralytics", "model"
BATCH_PROGRESS_INTERVAL_S = 0.5
PLOT_SUFFIXES = (".png", ".jpg")


class TrainingCancelled(Exception):
    """The user asked to stop; raised from an ultralytics callback between two batches."""


@dataclass
class TrainResult:
    """What a finished (or cancelled) training produced and where MLflow keeps it."""

    state: str  # done | cancelled
    run_id: str
    experiment_id: str
    tracking_uri: str  # without credentials
    embedded: bool  # recorded in the embedded sqlite store
    model_name: str
    version: str | None  # registered model version (None when cancelled)
    alias: str | None
    dataset_version: str
    classes: list[str]
    epochs_done: int
    seconds: float
    seconds_per_epoch: float | None
    best_pt: str | None = None
    onnx: str | None = None
    final_metrics: dict[str, float] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    verdict: str | None = None  # better | no_better | zero | unscored_base (training.quality); None when cancelled
    base_map50: float | None = None  # the base's mAP50 on the same validation images, when it could be scored
    freeze_switched_off: bool = False  # freezing was asked on a base whose backbone was never trained

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["warnings"] = [{"code": p.code, "field": p.field, "params": p.params} for p in self.warnings]
        return data


@dataclass
class EpochProgress:
    """Progress of a training as the page and the CLI show it; `history` has one entry per finished epoch."""

    epochs: int
    epoch: int = 0
    batch: int = 0
    batches: int = 0
    losses: dict[str, float] = field(default_factory=dict)
    mAP50: float | None = None
    mAP50_95: float | None = None
    seconds_per_epoch: float | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)  # warnings known while training (e.g. freezing off)


def _losses(trainer: Any) -> dict[str, float]:
    if trainer.tloss is None:
        return {}
    return {k: round(float(v), 5) for k, v in trainer.label_loss_items(trainer.tloss, prefix="train").items()}


def _metrics(trainer: Any) -> dict[str, float]:
    return {k: float(v) for k, v in (trainer.metrics or {}).items()}


class _Callbacks:
    """ultralytics callbacks: per-epoch metrics to MLflow and to `on_progress`, cancel between batches."""

    def __init__(self, record: TrainingRecord, progress: EpochProgress, on_progress: Callable[[EpochProgress], None],
                 should_stop: Callable[[], bool], warnings: list[Problem]) -> None:
        self.record, self.progress, self.on_progress, self.should_stop = record, progress, on_progress, should_stop
        self.warnings = warnings
        self.epoch_pending = False
        self.epoch_start = self.last_batch_report = time.monotonic()
        self.final_metrics: dict[str, float] = {}
        self.logging_ok = True

    def attach(self, model: Any) -> None:
        model.add_callback("on_train_epoch_start", self.on_train_epoch_start)
        model.add_callback("on_train_batch_end", self.on_train_batch_end)
        model.add_callback("on_train_epoch_end", self.on_train_epoch_end)
        model.add_callback("on_fit_epoch_end", self.on_fit_epoch_end)

    def on_train_epoch_start(self, trainer: Any) -> None:
        self.epoch_start = time.monotonic()
        self.progress.batch, self.progress.batches = 0, len(trainer.train_loader)

    def on_train_batch_end(self, trainer: Any) -> None:
        if self.should_stop():
            raise TrainingCancelled
        self.progress.batch += 1
        if time.monotonic() - self.last_batch_report >= BATCH_PROGRESS_INTERVAL_S:
            self.last_batch_report = time.monotonic()
            self.on_progress(self.progress)

    def on_train_epoch_end(self, trainer: Any) -> None:
        self.epoch_pending = True

    def _log(self, metrics: dict[str, float], step: int) -> None:
        if not self.logging_ok:
            return
        try:
            self.record.log_metrics(metrics, step)
        except Exception as exc:  # the store went away mid-training: keep training, say so once
            self.logging_ok = False
            self.warnings.append(Problem("mlflow_logging_failed", severity="warning",
                                         params={"url": self.record.tracking.shown_uri, "detail": str(exc)[:200]}))

    def on_fit_epoch_end(self, trainer: Any) -> None:
        metrics = _metrics(trainer)
        if not self.epoch_pending:  # ultralytics' final validation of best.pt calls this once more
            self.final_metrics = metrics
            self._log({f"best/{k}": v for k, v in metrics.items()}, self.progress.epoch)
            return
        self.epoch_pending = False
        losses = _losses(trainer)
        p = self.progress
        p.epoch, p.epochs, p.losses = trainer.epoch + 1, trainer.epochs, losses
        p.mAP50, p.mAP50_95 = metrics.get("metrics/mAP50(B)"), metrics.get("metrics/mAP50-95(B)")
        seconds = time.monotonic() - self.epoch_start
        p.history.append({"epoch": p.epoch, "losses": losses, "mAP50": p.mAP50, "mAP50_95": p.mAP50_95,
                          "seconds": round(seconds, 2)})
        p.seconds_per_epoch = round(sum(h["seconds"] for h in p.history) / len(p.history), 2)
        self._log({**losses, **metrics, **{k: float(v) for k, v in (trainer.lr or {}).items()}}, p.epoch)
        self.on_progress(p)


def _check_device(config: TrainConfig) -> None:
    if config.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise WorkbenchError([Problem("training_no_gpu", field="device")])


def _params(config: TrainConfig, dataset: DatasetInfo, args: dict[str, Any], base_weights: str) -> dict[str, Any]:
    import ultralytics

    return {**config.model_dump(), "dataset_version": dataset.version, "classes": json_tag(list(dataset.classes)),
            "data_yaml": str(dataset.data_yaml), "train_images": len(dataset.train.images),
            "val_images": len(dataset.val.images), "base_weights": base_weights,
            "freeze_layers": args["freeze"] or 0, "resolved_device": args["device"],
            "ultralytics_version": ultralytics.__version__}


def _export_onnx(best: Path, imgsz: int, warnings: list[Problem]) -> Path | None:
    """best.onnx beside best.pt; simplified only when onnxslim is installed (it is optional)."""
    from ultralytics import YOLO

    try:
        out = YOLO(str(best)).export(format="onnx", imgsz=imgsz, dynamic=False,
                                     simplify=importlib.util.find_spec("onnxslim") is not None)
        return Path(out)
    except Exception as exc:  # the .pt model is still registered; ONNX is a convenience
        warnings.append(Problem("onnx_export_failed", severity="warning", params={"detail": str(exc)[:200]}))
        return None


def _model_folder(work_dir: Path, best: Path, onnx: Path | None, card: dict[str, Any]) -> Path:
    folder = work_dir / MODEL_DIR
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for path in (best, onnx):
        if path is not None:
            shutil.copyfile(path, folder / path.name)
    (folder / "model.json").write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder


def _log_run_files(record: TrainingRecord, save_dir: Path, data_yaml: Path) -> None:
    record.log_artifacts([save_dir / "results.csv", save_dir / "args.yaml"])
    record.log_artifacts(sorted(p for p in save_dir.iterdir() if p.suffix in PLOT_SUFFIXES), "plots")
    record.log_artifacts([data_yaml], "dataset")


def _notice(problem: Problem) -> dict[str, Any]:
    return {"code": problem.code, "field": problem.field, "params": problem.params}


def _judge(config: TrainConfig, base_weights: str, untrained: bool, dataset: DatasetInfo, args: dict[str, Any],
           callbacks: _Callbacks, record: TrainingRecord) -> Quality:
    """Score the base on the same validation images (when comparable), judge the result, record both in the run."""
    warnings: list[Problem] = []
    base = base_map50(base_weights, untrained, list(dataset.classes), dataset.data_yaml, config.imgsz, config.batch,
                      args["device"], warnings)
    quality = judge(callbacks.final_metrics.get("metrics/mAP50(B)"), base, config.base_model, untrained)
    quality.warnings[:0] = warnings
    record.set_tag(VERDICT_TAG, quality.verdict)
    if base is not None:
        callbacks._log({BASE_MAP50_METRIC: base}, callbacks.progress.epoch)
    return quality


def train(config: TrainConfig, data_yaml: str | Path, work_dir: str | Path,
          on_progress: Callable[[EpochProgress], None] | None = None,
          should_stop: Callable[[], bool] | None = None, tracking: Tracking | None = None,
          run_name: str | None = None) -> TrainResult:
    """Fine-tune as `config` says on the dataset `data_yaml`; ultralytics' files go to `work_dir/ultralytics`.

    Bad input (dataset, base model, device) raises a WorkbenchError before anything is recorded; a cancel returns
    a result with state "cancelled"; any other failure marks the run FAILED and raises `training_failed`.
    """
    started = time.monotonic()
    work_dir = Path(work_dir)
    dataset = check_dataset(data_yaml)
    _check_device(config)
    tracking = tracking or choose_tracking()
    base = resolve_base_model(config.base_model, tracking.uri)
    warnings = [*tracking.warnings, *dataset.warnings]

    from workbench.models.ultralytics_env import prepare_ultralytics

    prepare_ultralytics()
    from ultralytics import YOLO

    model = YOLO(base.weights, task="detect")
    untrained = base.kind == "architecture" or backbone_untrained(model.model)
    args = config.ultralytics_args(len(model.model.yaml.get("backbone", [])))
    progress = EpochProgress(epochs=config.epochs)
    if config.freeze_backbone and untrained:  # a random backbone frozen: only the head would learn, on noise
        args["freeze"] = None
        warnings.append(freeze_warning(config.base_model))
        progress.notices.append(_notice(warnings[-1]))
    tags = {"workbench.dataset_version": dataset.version, "workbench.base_model": config.base_model,
            "workbench.classes": json_tag(list(dataset.classes))}
    record = TrainingRecord(tracking, run_name or config.model_name)
    record.start({**_params(config, dataset, args, base.weights), "base_untrained": untrained}, tags)
    report = on_progress or (lambda p: None)
    report(progress)
    callbacks = _Callbacks(record, progress, report, should_stop or (lambda: False), warnings)
    callbacks.attach(model)

    def result(state: str, version: str | None = None, best: Path | None = None, onnx: Path | None = None,
               quality: Quality | None = None):
        return TrainResult(state=state, run_id=record.run_id, experiment_id=record.experiment_id,
                           tracking_uri=tracking.shown_uri, embedded=tracking.embedded, model_name=config.model_name,
                           version=version, alias=CANDIDATE if version else None, dataset_version=dataset.version,
                           classes=list(dataset.classes), epochs_done=progress.epoch,
                           seconds=round(time.monotonic() - started, 1), seconds_per_epoch=progress.seconds_per_epoch,
                           best_pt=str(best) if best else None, onnx=str(onnx) if onnx else None,
                           final_metrics=callbacks.final_metrics, warnings=warnings,
                           verdict=quality.verdict if quality else None,
                           base_map50=quality.base_map50 if quality else None,
                           freeze_switched_off=config.freeze_backbone and untrained)

    try:
        model.train(data=str(dataset.data_yaml), project=str(work_dir), name=ULTRALYTICS_DIR, exist_ok=True,
                    plots=True, verbose=False, **args)
        save_dir = Path(model.trainer.save_dir)
        best = Path(model.trainer.best)
        if not best.is_file():
            raise WorkbenchError([Problem("training_no_weights", params={"folder": str(save_dir)})])
        onnx = _export_onnx(best, config.imgsz, warnings)
        _log_run_files(record, save_dir, dataset.data_yaml)
        quality = _judge(config, base.weights, untrained, dataset, args, callbacks, record)
        warnings.extend(quality.warnings)
        tags[VERDICT_TAG] = quality.verdict
        card = {"classes": list(dataset.classes), "imgsz": config.imgsz, "base_model": config.base_model,
                "dataset_version": dataset.version, "run_id": record.run_id, "metrics": callbacks.final_metrics,
                "verdict": quality.verdict, "base_mAP50": quality.base_map50}
        version = record.register(_model_folder(work_dir, best, onnx, card), config.model_name, tags)
    except (TrainingCancelled, KeyboardInterrupt):
        record.end("KILLED")
        return result("cancelled")
    except WorkbenchError:
        record.end("FAILED")
        raise
    except Exception as exc:
        record.end("FAILED")
        raise WorkbenchError([Problem("training_failed", params={"detail": f"{type(exc).__name__}: {exc}"[:300]})]) \
            from exc
    record.end("FINISHED")
    return result("done", version, best, onnx, quality)
