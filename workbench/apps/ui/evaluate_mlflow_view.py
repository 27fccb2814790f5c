"""The Evaluate page's MLflow side, as plain calls (no Streamlit here; tested directly): which finished trainings a
result can be attached to, logging an event report or a detection comparison, and "compare with base model".

Every call returns its result or the list of problems to show; a page never sees a traceback.
"""

from __future__ import annotations

from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import t
from workbench.features.evaluation.detection import DetectionComparison
from workbench.features.evaluation.report import EventReport
from workbench.features.evaluation.tracking_log import LoggedEvaluation, log_detection_comparison, log_event_report
from workbench.records.roles import Actor

NEW_RUN = ""  # the "attach to" choice meaning: a new run of the evaluation experiment


def finished_trainings(trainings: list[Any] | None = None) -> list[Any]:
    """Trainings that ended with a model and an MLflow run, newest first (`jobs.list_trainings()` by default)."""
    if trainings is None:
        from workbench.features.training.jobs import list_trainings

        trainings = list_trainings()
    return [s for s in trainings if s.state == "done" and (s.result or {}).get("run_id")
            and (s.result or {}).get("best_pt")]


def training_label(status: Any, lang: str | None = None) -> str:
    """"<model name> v<version> · <started> · <job id>" for a picker."""
    result, request = status.result or {}, status.request or {}
    started = str(request.get("started", "")).replace("T", " ")[:16]
    return t("app.eval_mlflow.training_label", lang, model=result.get("model_name", ""),
             version=result.get("version") or "-", started=started, id=status.id)


def attach_choices(trainings: list[Any] | None = None, lang: str | None = None) -> dict[str, str]:
    """run id -> label for "attach to": a new evaluation run first, then each finished training's run."""
    choices = {NEW_RUN: t("app.eval_mlflow.new_run", lang)}
    for status in finished_trainings(trainings):
        choices[str(status.result["run_id"])] = training_label(status, lang)
    return choices


def log_result(result: EventReport | DetectionComparison, run_id: str = NEW_RUN,
               actor: Actor | None = None) -> LoggedEvaluation | list[Problem]:
    """Record an event report or a detection comparison for `actor`: into `run_id`, or a new evaluation run when it
    is empty."""
    try:
        if isinstance(result, EventReport):
            return log_event_report(result, run_id=run_id or None, run_field="run", actor=actor)
        return log_detection_comparison(result, run_id=run_id or None, run_field="run", actor=actor)
    except WorkbenchError as exc:
        return list(exc.problems)


def compare_with_base(job_id: str) -> Any:
    """`compare_training(job_id)`: a `TrainingComparison` (scored and added to the training's run), or problems."""
    from workbench.features.evaluation.finetune_compare import compare_training

    try:
        return compare_training(job_id)
    except WorkbenchError as exc:
        return list(exc.problems)


def logged_text(logged: LoggedEvaluation, lang: str | None = None) -> str:
    """What the page says after logging: the run, new or added to, and the store."""
    key = "app.eval_mlflow.attached" if logged.attached else "app.eval_mlflow.logged"
    return t(key, lang, run_id=logged.run_id, uri=logged.tracking_uri)
