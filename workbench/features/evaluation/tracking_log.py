"""Evaluation results in MLflow: an event report or a detection comparison, either as a new run of the experiment
"workbench-evaluation" or attached to an existing run (e.g. the training whose model was evaluated).

The store is the training's: `MLFLOW_TRACKING_URI` when it answers, else the embedded sqlite default (with the
`mlflow_unreachable` warning). A new run gets params (pipeline, clip, tolerance, truth / dataset, models) and tags;
an attached run gets only metrics (keys prefixed with the pipeline and clip, or the dataset, so several evaluations
of one training do not overwrite each other) and the JSON report as an artifact under `evaluation/`.

    logged = log_event_report(report)                      # a new evaluation run
    logged = log_event_report(report, run_id=train.run_id)  # into the training's run
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.features.evaluation.report import EventReport, metric_key
from workbench.features.training.tracking import Tracking, choose_tracking, client, embedded_uri, experiment_id
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require

EXPERIMENT = "workbench-evaluation"
ARTIFACT_DIR = "evaluation"
RUN_FIELD = "--mlflow-run"


@dataclass(frozen=True)
class LoggedEvaluation:
    """Where an evaluation was recorded: the run (new or attached), its store and the metric keys written."""

    run_id: str
    experiment_id: str
    tracking_uri: str  # without credentials
    embedded: bool
    attached: bool  # True: metrics added to an existing run
    metrics: dict[str, float]
    artifact: str  # artifact path of the JSON report inside the run
    warnings: tuple[Problem, ...] = field(default=())

    @property
    def link(self) -> str | None:
        """The run's page in the MLflow web UI (servers only; the embedded store has no UI running)."""
        if not self.tracking_uri.startswith(("http://", "https://")):
            return None
        return f"{self.tracking_uri.rstrip('/')}/#/experiments/{self.experiment_id}/runs/{self.run_id}"


def _stem(path: str) -> str:
    name = Path(path).name
    return name.split(".")[0] or name


def _find_run(run_id: str, tracking: Tracking, field_name: str) -> tuple[Any, Tracking, Any]:
    """(client, store, run) of an existing active run; a training recorded in the embedded fallback is found too."""
    from mlflow.exceptions import MlflowException

    stores = [tracking]
    if not tracking.embedded:
        stores.append(Tracking(embedded_uri(), True))
    for store in stores:
        mlflow_client = client(store.uri)
        try:
            run = mlflow_client.get_run(run_id)
        except MlflowException:
            continue
        if run.info.lifecycle_stage == "active":
            return mlflow_client, store, run
    down = next((w for w in tracking.warnings if w.code == "mlflow_unreachable"), None)
    if down is not None:  # the run may well be on the server that does not answer
        raise WorkbenchError([Problem("mlflow_server_down", field="MLFLOW_TRACKING_URI",
                                      params={"url": down.params["url"]})])
    raise WorkbenchError([Problem("eval_mlflow_run_unknown", field=field_name,
                                  params={"run_id": run_id, "url": tracking.shown_uri})])


def check_run(run_id: str, tracking: Tracking | None = None, run_field: str = RUN_FIELD) -> Tracking:
    """Fail early (before a long evaluation) when run `run_id` is not in the store; returns the store to log to."""
    tracking = tracking or choose_tracking()
    _find_run(run_id.strip(), tracking, run_field)
    return tracking


def _log_metrics(mlflow_client: Any, run_id: str, rows: list[Any]) -> None:
    for i in range(0, len(rows), 1000):  # MLflow takes at most 1000 metrics per batch
        mlflow_client.log_batch(run_id, metrics=rows[i:i + 1000])


def log_evaluation(metrics: Mapping[str, float], report_json: str, artifact_name: str, *,
                   run_id: str | None = None, run_name: str = "evaluation", params: Mapping[str, Any] | None = None,
                   tags: Mapping[str, str] | None = None, tracking: Tracking | None = None,
                   run_field: str = RUN_FIELD, actor: Actor | None = None) -> LoggedEvaluation:
    """Write `metrics` and the JSON report into run `run_id`, or into a new run of the evaluation experiment, for
    `actor` (training.start: evaluations are training records; recorded as `evaluation.log`)."""
    actor = require(actor, Permission.TRAINING_START)
    logged = _log_evaluation(metrics, report_json, artifact_name, run_id, run_name, params, tags, tracking, run_field)
    audit.record(actor, "evaluation.log", logged.run_id, after={"run_name": run_name, "attached": bool(run_id)})
    return logged


def _log_evaluation(metrics: Mapping[str, float], report_json: str, artifact_name: str, run_id: str | None,
                    run_name: str, params: Mapping[str, Any] | None, tags: Mapping[str, str] | None,
                    tracking: Tracking | None, run_field: str) -> LoggedEvaluation:
    from mlflow.entities import Metric, Param

    tracking = tracking or choose_tracking()
    warnings = tracking.warnings
    now = int(time.time() * 1000)
    metric_rows = [Metric(k, float(v), now, 0) for k, v in metrics.items()]
    artifact = f"{ARTIFACT_DIR}/{artifact_name}"
    if run_id:
        mlflow_client, store, run = _find_run(run_id.strip(), tracking, run_field)
        if store.uri != tracking.uri:  # the run is in the embedded store, not on the configured server
            warnings = (*warnings, Problem("eval_mlflow_run_local", field=run_field, severity="warning",
                                           params={"run_id": run_id, "local": store.shown_uri}))
        _log_metrics(mlflow_client, run.info.run_id, metric_rows)
        mlflow_client.log_text(run.info.run_id, report_json, artifact)
        return LoggedEvaluation(run.info.run_id, run.info.experiment_id, store.shown_uri, store.embedded, True,
                                dict(metrics), artifact, warnings)
    mlflow_client = client(tracking.uri)
    exp = experiment_id(mlflow_client, tracking.embedded, EXPERIMENT)
    all_tags = {"mlflow.source.name": "workbench eval", **(tags or {})}
    run = mlflow_client.create_run(exp, run_name=run_name, tags=all_tags)
    new_id = run.info.run_id
    try:
        mlflow_client.log_batch(new_id, params=[Param(k, str(v)[:6000]) for k, v in (params or {}).items()])
        _log_metrics(mlflow_client, new_id, metric_rows)
        mlflow_client.log_text(new_id, report_json, artifact)
    except Exception:
        mlflow_client.set_terminated(new_id, "FAILED")
        raise
    mlflow_client.set_terminated(new_id, "FINISHED")
    return LoggedEvaluation(new_id, exp, tracking.shown_uri, tracking.embedded, False, dict(metrics), artifact,
                            warnings)


def event_prefix(report: EventReport) -> str:
    """Metric prefix inside a run that holds other metrics: `events.<pipeline>.<clip stem>`."""
    return metric_key("events", report.pipeline, _stem(report.clip))


def log_event_report(report: EventReport, run_id: str | None = None, tracking: Tracking | None = None,
                     run_field: str = RUN_FIELD, actor: Actor | None = None) -> LoggedEvaluation:
    """An event report: keys `events.<node>.<type>.<metric>` in a new run, `events.<pipeline>.<clip>.<node>...`
    when attached to `run_id`."""
    actor = require(actor, Permission.TRAINING_START)
    prefix = event_prefix(report) if run_id else "events"
    clip = _stem(report.clip)
    params = {"pipeline": report.pipeline, "clip": report.clip, "tolerance_s": report.tolerance_s,
              "truth": report.truth, "classes": ",".join(report.classes)}
    if report.run.get("id"):
        params["pipeline_run"] = report.run["id"]
    tags = {"workbench.kind": "event-evaluation", "workbench.pipeline": report.pipeline, "workbench.clip": clip}
    return log_evaluation(report.metrics(prefix), report.to_json(), f"events-{report.pipeline}-{clip}.json",
                          run_id=run_id, run_name=f"events {report.pipeline} @ {clip}", params=params, tags=tags,
                          tracking=tracking, run_field=run_field, actor=actor)


def dataset_name(data_yaml: str) -> str:
    """A dataset's name: the folder of its data.yaml (a dataset version under <home>/datasets/)."""
    path = Path(data_yaml)
    return path.parent.name or path.stem


def log_detection_comparison(comparison: Any, run_id: str | None = None, tracking: Tracking | None = None,
                             run_field: str = RUN_FIELD, actor: Actor | None = None) -> LoggedEvaluation:
    """A `DetectionComparison`: keys `detection.<model>.<metric>` in a new run, `detection.<dataset>.<model>...`
    when attached to `run_id`."""
    import json

    actor = require(actor, Permission.TRAINING_START)
    name = dataset_name(comparison.data)
    prefix = metric_key("detection", name) if run_id else "detection"
    labels = [m.label for m in comparison.models]
    params = {"data": comparison.data, "split": comparison.split, "imgsz": comparison.imgsz,
              "models": json.dumps({m.label: m.model for m in comparison.models}, ensure_ascii=False),
              "classes": ",".join(comparison.classes)}
    tags = {"workbench.kind": "detection-comparison", "workbench.dataset": name}
    return log_evaluation(comparison.metrics(prefix), json.dumps(comparison.to_dict(), ensure_ascii=False, indent=2),
                          f"detection-{name}-{comparison.split}.json", run_id=run_id,
                          run_name=f"detection {' vs '.join(labels)} @ {name}", params=params, tags=tags,
                          tracking=tracking, run_field=run_field, actor=actor)


__all__ = ["EXPERIMENT", "LoggedEvaluation", "check_run", "dataset_name", "event_prefix", "log_detection_comparison",
           "log_evaluation", "log_event_report"]
