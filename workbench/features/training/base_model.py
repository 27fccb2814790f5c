"""Where a training starts from: a model-zoo entry, a registered MLflow model, a local .pt, or an untrained
architecture. Every form ends as something `ultralytics.YOLO()` can open offline and safely."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import BlockError
from workbench.core.paths import workbench_home
from workbench.features.training.config import base_model_kind

FIELD = "base_model"


@dataclass(frozen=True)
class BaseWeights:
    """The base model as asked (`source`) and as ultralytics opens it (`weights`: a file path or a yaml name)."""

    source: str
    kind: str
    weights: str


def _registry_weights(uri: str, tracking_uri: str) -> Path:
    """Download a registered model's files (cached under <home>/training/base_models) and return its .pt file."""
    import mlflow
    from mlflow.exceptions import MlflowException

    target = workbench_home() / "training" / "base_models" / uri.removeprefix("models:/").replace("@", "_at_")
    target.mkdir(parents=True, exist_ok=True)
    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(target),
                                                         tracking_uri=tracking_uri))
    except MlflowException as exc:
        raise BlockError("base_model_not_registered", None, FIELD, model=uri,
                         detail=str(exc).splitlines()[0][:200]) from exc
    found = sorted(local.rglob("*.pt"))
    if not found:
        raise BlockError("base_model_not_registered", None, FIELD, model=uri, detail="no .pt file among its artifacts")
    return found[0]


def resolve_base_model(source: str, tracking_uri: str) -> BaseWeights:
    """Resolve the form's base model; checkpoints pass through the safe loader (a .pt file is code)."""
    from workbench.models.zoo import resolve_weights, safe_checkpoint

    kind = base_model_kind(source)
    if kind == "architecture":
        return BaseWeights(source, kind, source)
    if kind == "registry":
        path = _registry_weights(source, tracking_uri)
    elif kind == "file":
        path = Path(source).expanduser().resolve()
        if not path.is_file():
            raise BlockError("base_model_missing", None, FIELD, path=str(path))
    else:
        path = resolve_weights(source, None, FIELD)
    if path.suffix.lower() != ".pt":
        raise BlockError("base_model_not_trainable", None, FIELD, model=source, path=str(path))
    safe_checkpoint(path, None, FIELD)
    return BaseWeights(source, kind, str(path))
