"""Base vs fine-tuned, automatically: for a finished training, score its base model and its best.pt on the held-out
(val) split of the dataset it trained on, at its image size, and add the comparison to the training's MLflow run.

    outcome = compare_training("20261104-101500-ab12")   # a training job id (folder under <home>/training/)
    outcome.comparison.models   # (base, finetuned)
    outcome.logged.run_id       # the training's run, now also holding detection.<dataset>.base.map50, ...

The base is the exact weights file the training started from when it is still there (recorded in the run's params
as base_weights; a registry alias may have moved since), else the base model as the training form named it. An
untrained architecture (yolo*.yaml) or a base with another class list cannot be scored on this dataset: the
fine-tuned model is scored alone and a warning says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.features.evaluation.detection import DetectionComparison, ModelMetrics, dataset_classes, validate_model
from workbench.features.evaluation.tracking_log import LoggedEvaluation, log_detection_comparison
from workbench.features.training.tracking import Tracking, choose_tracking, client, embedded_uri

FIELD = "--training"
BASE, FINETUNED = "base", "finetuned"


@dataclass(frozen=True)
class FinishedTraining:
    """What a comparison needs from a finished training."""

    job_id: str | None
    run_id: str
    embedded: bool
    best_pt: Path
    data_yaml: Path
    base_model: str
    imgsz: int
    model_name: str = ""
    version: str | None = None


@dataclass
class TrainingComparison:
    training: FinishedTraining
    comparison: DetectionComparison
    base_weights: str | None  # None: the base could not be scored (see warnings)
    logged: LoggedEvaluation | None = None
    warnings: list[Problem] = field(default_factory=list)

    def model(self, label: str) -> ModelMetrics | None:
        return next((m for m in self.comparison.models if m.label == label), None)


def _problem(code: str, /, **params: Any) -> WorkbenchError:
    return WorkbenchError([Problem(code, field=FIELD, params=params)])


def finished_training(job_id: str) -> FinishedTraining:
    """A training job that ended with a registered model; problems name --training otherwise."""
    from workbench.features.training.jobs import training_status

    try:
        status = training_status(job_id.strip())
    except KeyError:
        raise _problem("eval_training_unknown", job=job_id) from None
    result, request = status.result or {}, status.request
    if status.state != "done" or not result.get("best_pt"):
        raise _problem("eval_training_not_done", job=job_id, state=status.state)
    best = Path(result["best_pt"])
    if not best.is_file():
        raise _problem("eval_training_weights_gone", job=job_id, path=str(best))
    config = request.get("config") or {}
    return FinishedTraining(job_id=status.id, run_id=str(result.get("run_id") or ""),
                            embedded=bool(result.get("embedded")), best_pt=best,
                            data_yaml=Path(request.get("data_yaml", "")), base_model=str(config.get("base_model", "")),
                            imgsz=int(config.get("imgsz") or 320), model_name=str(result.get("model_name") or ""),
                            version=result.get("version"))


def from_train_result(result: Any, data_yaml: str | Path, base_model: str, imgsz: int) -> FinishedTraining:
    """The same from a `TrainResult` of `workbench.features.training.trainer.train` (trained in this process)."""
    if result.state != "done" or not result.best_pt:
        raise _problem("eval_training_not_done", job=result.run_id, state=result.state)
    return FinishedTraining(job_id=None, run_id=result.run_id, embedded=result.embedded, best_pt=Path(result.best_pt),
                            data_yaml=Path(data_yaml), base_model=base_model, imgsz=imgsz,
                            model_name=result.model_name, version=result.version)


def _tracking(training: FinishedTraining) -> Tracking:
    """The store holding the training's run: the embedded one if it was recorded there, else the configured one."""
    return Tracking(embedded_uri(), True) if training.embedded else choose_tracking()


def _recorded_base_weights(training: FinishedTraining, tracking: Tracking) -> str | None:
    """The weights file the training started from (its run's `base_weights` param), if it is still there."""
    from mlflow.exceptions import MlflowException

    if not training.run_id:
        return None
    try:
        params = client(tracking.uri).get_run(training.run_id).data.params
    except MlflowException:
        return None
    weights = params.get("base_weights", "")
    return weights if weights.endswith(".pt") and Path(weights).is_file() else None


def _base_weights(training: FinishedTraining, tracking: Tracking, warnings: list[Problem]) -> str | None:
    from workbench.features.training.base_model import resolve_base_model
    from workbench.features.training.config import base_model_kind

    if base_model_kind(training.base_model) == "architecture":
        warnings.append(Problem("eval_base_untrained", field=FIELD, severity="warning",
                                params={"model": training.base_model}))
        return None
    recorded = _recorded_base_weights(training, tracking)
    if recorded:
        return recorded
    try:
        return resolve_base_model(training.base_model, tracking.uri).weights
    except WorkbenchError as exc:
        warnings.extend(Problem(p.code, field=FIELD, params=p.params, severity="warning") for p in exc.problems)
        return None


def compare_training(training: str | FinishedTraining, imgsz: int | None = None, batch: int = 8,
                     device: str = "cpu", log: bool = True) -> TrainingComparison:
    """Score base and fine-tuned on the training's val split; with `log`, add the result to the training's run."""
    training = finished_training(training) if isinstance(training, str) else training
    classes = dataset_classes(training.data_yaml)
    tracking = _tracking(training)
    warnings: list[Problem] = list(tracking.warnings)
    size = imgsz or training.imgsz
    models: list[ModelMetrics] = []
    base = _base_weights(training, tracking, warnings)
    if base is not None:
        try:
            models.append(validate_model(base, training.data_yaml, size, batch, "val", BASE, device))
        except WorkbenchError as exc:  # e.g. a COCO base for a dataset of site classes
            warnings.extend(Problem(p.code, field=FIELD, params=p.params, severity="warning") for p in exc.problems)
            base = None
    models.append(validate_model(training.best_pt, training.data_yaml, size, batch, "val", FINETUNED, device))
    comparison = DetectionComparison(data=str(training.data_yaml), split="val", imgsz=size, classes=tuple(classes),
                                     models=tuple(models))
    outcome = TrainingComparison(training, comparison, base, warnings=warnings)
    if log and training.run_id:
        try:
            outcome.logged = log_detection_comparison(comparison, run_id=training.run_id, tracking=tracking,
                                                      run_field=FIELD)
        except WorkbenchError as exc:  # the scores are still shown; say clearly they were not recorded
            warnings.extend(Problem(p.code, field=p.field, params=p.params, severity="warning")
                            for p in exc.problems)
        if outcome.logged is not None:
            warnings.extend(w for w in outcome.logged.warnings if w not in warnings)
    return outcome
