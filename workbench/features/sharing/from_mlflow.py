"""Take a registered MLflow model version (a finished fine-tuning) as the weights and metrics of a bundle.

`name/3`, `name@champion`, and the same with a `models:/` prefix are accepted. The version's files (best.pt and its
ONNX export, see workbench.features.training.trainer) are downloaded through the tracking store's own artifact access,
so a
server that keeps artifacts in S3 needs no S3 credentials here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import BlockError
from workbench.features.training.tracking import client, configured_uri, redact, server_reachable

FIELD = "model_version"
REF_PATTERN = re.compile(r"^(?:models:/)?(?P<name>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[A-Za-z0-9_-]+))$")
WEIGHT_SUFFIXES = (".pt", ".onnx")
EVENT_PREFIX = "events."
TRAINING_METRICS = ("mAP50", "mAP50-95", "precision", "recall")


@dataclass(frozen=True)
class RegisteredWeights:
    """One registered model version on this machine: its weight files and what MLflow knows about it."""

    name: str
    version: str
    run_id: str
    files: tuple[Path, ...]
    evaluation: dict[str, dict[str, float]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def parse_ref(ref: str) -> tuple[str, str | None, str | None]:
    """(name, version, alias) of a model reference; a malformed one is a problem naming the option."""
    found = REF_PATTERN.match(ref.strip())
    if not found:
        raise BlockError("registry_model_ref", None, FIELD, ref=ref)
    return found["name"], found["version"], found["alias"]


def split_metrics(metrics: dict[str, float]) -> dict[str, dict[str, float]]:
    """A run's metrics as a bundle's evaluation: detection metrics of the training, event metrics if logged."""
    detection = {k: v for k, v in metrics.items() if k in TRAINING_METRICS or k.startswith("detection.")}
    events = {k.removeprefix(EVENT_PREFIX): v for k, v in metrics.items() if k.startswith(EVENT_PREFIX)}
    return {k: v for k, v in (("detection", detection), ("events", events)) if v}


def fetch_registered(ref: str, dest: Path, tracking_uri: str | None = None) -> RegisteredWeights:
    """Download the model version `ref` into `dest` and read its run's metrics."""
    from mlflow.exceptions import MlflowException

    name, version, alias = parse_ref(ref)
    uri = tracking_uri or configured_uri()
    if not server_reachable(uri):
        raise BlockError("mlflow_server_down", None, "MLFLOW_TRACKING_URI", url=redact(uri))
    mlflow_client = client(uri)
    try:
        found = (mlflow_client.get_model_version(name, version) if version
                 else mlflow_client.get_model_version_by_alias(name, alias or ""))
        dest.mkdir(parents=True, exist_ok=True)
        local = _download_source(found.source, dest, uri)
        metrics: dict[str, Any] = mlflow_client.get_run(found.run_id).data.metrics if found.run_id else {}
    except MlflowException as exc:
        raise BlockError("model_version_unknown", None, FIELD, model=name, version=version or f"@{alias}",
                         detail=str(exc).splitlines()[0][:200]) from exc
    files = tuple(sorted(p for p in local.rglob("*") if p.suffix.lower() in WEIGHT_SUFFIXES))
    if not files:
        raise BlockError("registry_model_no_weights", None, FIELD, model=name, version=str(found.version))
    return RegisteredWeights(name=name, version=str(found.version), run_id=found.run_id or "", files=files,
                             evaluation=split_metrics(dict(metrics)), tags=dict(found.tags or {}))


def _download_source(source: str, dest: Path, uri: str) -> Path:
    import mlflow

    return Path(mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=str(dest), tracking_uri=uri))
