"""Where a training starts from: a model-zoo entry, a registered MLflow model, a local .pt, or an untrained
architecture; resolved by `workbench.features.training.model_ref` like every other place that names a model."""

from __future__ import annotations

from workbench.features.training.model_ref import ModelRef, resolve_model

FIELD = "base_model"
BaseWeights = ModelRef  # the base model as asked (`source`) and as ultralytics opens it (`weights`)


def resolve_base_model(source: str, tracking_uri: str) -> ModelRef:
    """Resolve the form's base model; checkpoints pass through the safe loader (a .pt file is code)."""
    return resolve_model(source, field=FIELD, tracking_uri=tracking_uri, trainable=True)
