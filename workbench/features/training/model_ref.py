"""One resolver for the texts that name a model, wherever a model is named: `workbench train --base` and the Train
page's base model, `workbench labelstudio push --model` and the Clips page's pre-label model, `workbench eval detection
--model` and the Evaluate page's models.

    models:/NAME@ALIAS, models:/NAME/VERSION   a version in the MLflow Model Registry (its files fetched once)
    yolo11n.yaml                               an untrained architecture (only a training can start from it)
    path/to/best.pt, path/to/best.onnx         a weights file on this machine
    yolo11n                                    a model-zoo id

Every form ends as a file that `ultralytics.YOLO()` opens offline (or, for an architecture, its yaml name); .pt files
have passed the safe loader. Problems name the option or form field given as `field`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from workbench.core.errors import BlockError
from workbench.core.paths import workbench_home
from workbench.features.training.config import REGISTRY_PATTERN, base_model_kind

Kind = Literal["registry", "architecture", "file", "zoo"]


@dataclass(frozen=True)
class ModelRef:
    """The model as named (`source`), how it was read (`kind`), what ultralytics opens (`weights`) and a short
    `label` for records (e.g. Label Studio's model_version)."""

    source: str
    kind: Kind
    weights: str
    label: str


def model_kind(text: str) -> Kind:
    """How a model text is read (see the module docstring); the training form's validator uses the same rule."""
    return base_model_kind(text)


def registry_cache() -> Path:
    return workbench_home() / "training" / "base_models"


def _registry_weights(uri: str, tracking_uri: str, field: str, node: str | None) -> tuple[Path, str]:
    """A registered version's weights (.pt first, else .onnx) and its `NAME/vVERSION` label.

    An alias is looked up first; versions never change, so each is fetched once into `<home>/training/base_models`.
    """
    from mlflow.exceptions import MlflowException

    from workbench.features.training.tracking import client

    match = REGISTRY_PATTERN.match(uri)
    if match is None:
        raise BlockError("base_model_not_registered", node, field, model=uri,
                         detail="write models:/NAME@ALIAS or models:/NAME/VERSION")
    name = match["name"]
    try:
        version = match["version"] or str(client(tracking_uri).get_model_version_by_alias(name, match["alias"]).version)
        target = registry_cache() / name / version
        found = sorted(target.rglob("*.pt")) or sorted(target.rglob("*.onnx")) if target.is_dir() else []
        if not found:
            import mlflow

            target.mkdir(parents=True, exist_ok=True)
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}/{version}",
                                                             dst_path=str(target), tracking_uri=tracking_uri))
            found = sorted(local.rglob("*.pt")) or sorted(local.rglob("*.onnx"))
    except MlflowException as exc:
        raise BlockError("base_model_not_registered", node, field, model=uri,
                         detail=str(exc).splitlines()[0][:200]) from exc
    if not found:
        raise BlockError("base_model_not_registered", node, field, model=uri, detail="no .pt or .onnx file among its "
                                                                                     "files")
    return found[0], f"{name}/v{version}"


def resolve_model(source: str, *, field: str, node: str | None = None, tracking_uri: str | None = None,
                  trainable: bool = False) -> ModelRef:
    """Resolve a model text; `trainable` (a training's base) accepts architectures and wants .pt weights."""
    from workbench.models.zoo import resolve_weights, safe_checkpoint

    source = source.strip()
    kind = model_kind(source)
    label = source
    if kind == "architecture":
        if not trainable:
            raise BlockError("model_ref_untrained_architecture", node, field, model=source)
        return ModelRef(source, kind, source, source)
    if kind == "registry":
        from workbench.features.training.tracking import configured_uri

        path, label = _registry_weights(source, tracking_uri or configured_uri(), field, node)
    elif kind == "file":
        path = Path(source).expanduser().resolve()
        if not path.is_file():
            raise BlockError("base_model_missing" if trainable else "model_file_missing", node, field, path=str(path))
        label = path.stem
    else:
        path = resolve_weights(source, node, field)
    if trainable and path.suffix.lower() != ".pt":
        raise BlockError("base_model_not_trainable", node, field, model=source, path=str(path))
    if path.suffix.lower() == ".pt":
        safe_checkpoint(path, node, field)
    return ModelRef(source, kind, str(path), label)
