"""The MLflow side of training: one run per training (ours, never ultralytics'), metrics per epoch, artifacts, the
Model Registry with aliases ("candidate" after training, "champion" when promoted).

Where: `MLFLOW_TRACKING_URI` when set (e.g. a team's server whose artifacts live in S3), else the embedded default
`sqlite:///<home>/mlflow.db` with artifacts in `<home>/mlartifacts`. A configured server that does not answer is
not fatal: the training is recorded in the embedded default and a `mlflow_unreachable` warning says so.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from workbench.core.errors import BlockError, Problem
from workbench.core.paths import workbench_home
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require

EXPERIMENT = "workbench-training"
CANDIDATE, CHAMPION = "candidate", "champion"
HEALTH_TIMEOUT_S = 3.0
TAG_PREFIX = "workbench."


def embedded_uri() -> str:
    return f"sqlite:///{workbench_home() / 'mlflow.db'}"


def embedded_artifacts() -> Path:
    return workbench_home() / "mlartifacts"


def configured_uri() -> str:
    """`MLFLOW_TRACKING_URI` if set, else the embedded default."""
    return os.environ.get("MLFLOW_TRACKING_URI", "").strip() or embedded_uri()


def redact(uri: str) -> str:
    """The URI without user:password (for messages and logs)."""
    parts = urlsplit(uri)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit(parts._replace(netloc=netloc))
    return uri


def server_reachable(uri: str, timeout: float = HEALTH_TIMEOUT_S) -> bool:
    """True for local stores; for http(s) servers, whether `/health` answers 200 within `timeout`."""
    if not uri.startswith(("http://", "https://")):
        return True
    import requests

    try:
        return requests.get(uri.rstrip("/") + "/health", timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


@dataclass(frozen=True)
class Tracking:
    """Where this training is recorded, and why not where the user configured (a warning), if so."""

    uri: str
    embedded: bool
    warnings: tuple[Problem, ...] = ()

    @property
    def shown_uri(self) -> str:
        return redact(self.uri)


def choose_tracking() -> Tracking:
    """The configured tracking store if it answers, else the embedded one with an `mlflow_unreachable` warning."""
    uri = configured_uri()
    if uri == embedded_uri():
        return Tracking(uri, True)
    if server_reachable(uri):
        return Tracking(uri, False)
    warning = Problem("mlflow_unreachable", field="MLFLOW_TRACKING_URI", severity="warning",
                      params={"url": redact(uri), "local": embedded_uri()})
    return Tracking(embedded_uri(), True, (warning,))


_ready_stores: set[str] = set()


def sqlite_path(uri: str) -> Path | None:
    """The database file of a `sqlite:///...` URI, else None."""
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None


def ensure_store(uri: str) -> None:
    """Create/migrate a sqlite store under a file lock, once per process.

    MLflow sets up (and migrates) a sqlite database's tables whenever a process first opens it; two processes doing
    that at once (the app and a training worker) fail with sqlite OperationalError. The lock makes the first opening
    one process at a time; later openings find the tables and change nothing.
    """
    path = sqlite_path(uri)
    if path is None or uri in _ready_stores:
        return
    from filelock import FileLock
    from mlflow import MlflowClient

    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        first = MlflowClient(tracking_uri=uri, registry_uri=uri)
        first.search_experiments(max_results=1)
        first.search_registered_models(max_results=1)
    _ready_stores.add(uri)


def client(uri: str):
    """An MlflowClient for `uri` (tracking and registry), with telemetry off and a sqlite store set up safely.

    Also made the process-wide URI: parts of MLflow 3.17 open a default client internally, which would otherwise
    create `./mlflow.db` in the current folder. `MLFLOW_TRACKING_URI` stays as the user set it (MLflow's setter
    writes it): after one fallback to the embedded store, a long-lived process must still try the server next time.
    """
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow
    from mlflow import MlflowClient

    ensure_store(uri)
    saved = os.environ.get("MLFLOW_TRACKING_URI")
    try:
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
    finally:
        if saved is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = saved
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def experiment_id(mlflow_client: Any, embedded: bool, name: str = EXPERIMENT) -> str:
    """Our experiment, created on first use; embedded stores keep artifacts under <home>/mlartifacts (not ./mlruns)."""
    found = mlflow_client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = (embedded_artifacts() / name).resolve().as_uri() if embedded else None
    return mlflow_client.create_experiment(name, artifact_location=location)


def metric_name(key: str) -> str:
    """ultralytics' keys as MLflow metric names: `metrics/mAP50(B)` -> `mAP50`, `train/box_loss` stays."""
    key = key.removeprefix("metrics/").replace("(B)", "")
    return "".join(c if c.isalnum() or c in "_-./ :" else "_" for c in key)


@dataclass
class TrainingRecord:
    """One training's MLflow run; every call goes to the store chosen by `choose_tracking()`."""

    tracking: Tracking
    run_name: str
    run_id: str = ""
    experiment_id: str = ""
    _client: Any = field(default=None, repr=False)

    def start(self, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        self._client = client(self.tracking.uri)
        self.experiment_id = experiment_id(self._client, self.tracking.embedded)
        run = self._client.create_run(self.experiment_id, run_name=self.run_name,
                                      tags={"mlflow.source.name": "workbench train", **tags})
        self.run_id = run.info.run_id
        from mlflow.entities import Param

        self._client.log_batch(self.run_id, params=[Param(k, str(v)[:6000]) for k, v in params.items()])
        return self.run_id

    def log_metrics(self, metrics: Mapping[str, float], step: int) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self._client.log_batch(self.run_id, metrics=[Metric(metric_name(k), float(v), now, step)
                                                     for k, v in metrics.items()])

    def set_tag(self, key: str, value: str) -> None:
        self._client.set_tag(self.run_id, key, value)

    def log_artifacts(self, files: list[Path], artifact_path: str | None = None) -> None:
        for path in files:
            if path.is_file():
                self._client.log_artifact(self.run_id, str(path), artifact_path)

    def register(self, model_dir: Path, name: str, tags: Mapping[str, str], alias: str = CANDIDATE) -> str:
        """Log `model_dir` as the run's model (MLflow 3 LoggedModel), register a new version of `name`, set `alias`."""
        from mlflow.exceptions import MlflowException

        logged = self._client.create_logged_model(self.experiment_id, name=name, source_run_id=self.run_id,
                                                  model_type="ultralytics-yolo", tags=dict(tags))
        self._client.log_model_artifacts(logged.model_id, str(model_dir))
        self._client.finalize_logged_model(logged.model_id, "READY")
        try:
            self._client.create_registered_model(name)
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        # source = the artifact location, not models:/<id>: a local sqlite registry resolves models:/ URIs through
        # the process-wide tracking URI, not this client's (MLflow 3.17)
        version = self._client.create_model_version(name, source=logged.artifact_location, run_id=self.run_id,
                                                    tags=dict(tags), model_id=logged.model_id)
        self._client.set_registered_model_alias(name, alias, version.version)
        return str(version.version)

    def end(self, status: str) -> None:
        """FINISHED, KILLED (cancelled) or FAILED."""
        if self._client is not None and self.run_id:
            self._client.set_terminated(self.run_id, status)


def json_tag(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def promote(name: str, version: str | int, alias: str = CHAMPION, uri: str | None = None,
            actor: Actor | None = None) -> None:
    """Point `alias` (default "champion") at version `version` of the registered model `name`."""
    from mlflow.exceptions import MlflowException

    actor = require(actor, Permission.MODELS_PROMOTE)

    uri = uri or configured_uri()
    if not server_reachable(uri):
        raise BlockError("mlflow_server_down", None, "MLFLOW_TRACKING_URI", url=redact(uri))
    mlflow_client = client(uri)
    try:
        mlflow_client.get_model_version(name, str(version))
        mlflow_client.set_registered_model_alias(name, alias, str(version))
    except MlflowException as exc:
        raise BlockError("model_version_unknown", None, "version", model=name, version=str(version),
                         detail=str(exc).splitlines()[0][:200]) from exc
    audit.record(actor, "model.promote", f"models:/{name}@{alias}", after={"version": str(version)})
