"""The training form: what a user chooses before fine-tuning, with defaults that suit "a few labeled clips"."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

REGISTRY_PATTERN = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[A-Za-z0-9_-]+)|/(?P<version>\d+))$")
ARCHITECTURE_PATTERN = re.compile(r"^yolo[A-Za-z0-9._-]*\.yaml$")
MODEL_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
REGISTERED_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"

# Augmentation presets as ultralytics training arguments. Every key is set in every preset, so a preset never
# inherits one of ultralytics' own (strong) defaults by accident.
AUGMENTATION_PRESETS: dict[str, dict[str, float]] = {
    "none": {"hsv_h": 0.0, "hsv_s": 0.0, "hsv_v": 0.0, "degrees": 0.0, "translate": 0.0, "scale": 0.0,
             "fliplr": 0.0, "mosaic": 0.0, "mixup": 0.0},
    "light": {"hsv_h": 0.01, "hsv_s": 0.3, "hsv_v": 0.3, "degrees": 0.0, "translate": 0.05, "scale": 0.25,
              "fliplr": 0.5, "mosaic": 0.5, "mixup": 0.0},
    "strong": {"hsv_h": 0.015, "hsv_s": 0.7, "hsv_v": 0.5, "degrees": 3.0, "translate": 0.15, "scale": 0.6,
               "fliplr": 0.5, "mosaic": 1.0, "mixup": 0.15},
}


def base_model_kind(value: str) -> Literal["registry", "architecture", "file", "zoo"]:
    """How a model text is read (everywhere a model is named, see training.model_ref): `models:/..` registry,
    `yolo*.yaml` untrained architecture, a weights file (.pt/.onnx, a path, or an existing file), or a model-zoo id."""
    value = value.strip()
    if value.startswith("models:/"):
        return "registry"
    if ARCHITECTURE_PATTERN.match(value):
        return "architecture"
    if value.lower().endswith((".pt", ".onnx")) or "/" in value or Path(value).expanduser().is_file():
        return "file"
    return "zoo"


class TrainConfig(BaseModel):
    """One fine-tuning job as the form (and `workbench train`) describes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_model: str = Field(
        "yolo11n",
        description="Model to start from: a model-zoo id (e.g. yolo11n), a registered model models:/NAME@ALIAS or "
                    "models:/NAME/VERSION, a local .pt file, or an untrained architecture such as yolo11n.yaml")
    model_name: str = Field("workbench-detector", pattern=REGISTERED_NAME_PATTERN,
                            description="Name under which the result is registered in the MLflow Model Registry")
    epochs: int = Field(30, ge=1, le=1000, description="Passes over the training images; a few clips need 20-50")
    imgsz: int = Field(640, ge=64, le=1920, multiple_of=32,
                       description="Image size in pixels the model trains at (a multiple of 32); larger finds small "
                                   "objects better but trains slower")
    preset: Literal["none", "light", "strong"] = Field(
        "light", description="Augmentation: none (images as they are), light (small colour/scale changes, flips, "
                             "some mosaic), strong (more of each plus mixup; for very few images)")
    freeze_backbone: bool = Field(True, description="Keep the base model's backbone as it is and train only the "
                                                    "head: faster and less forgetting when there are few labels")
    batch: int = Field(8, ge=1, le=256, description="Images per training step; lower it if memory runs out")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="auto uses a GPU when one is present")
    patience: int = Field(10, ge=0, le=1000,
                          description="Stop early after this many epochs without improvement (0: never stop early)")
    seed: int = Field(0, ge=0, description="Random seed, for repeatable trainings")

    @field_validator("base_model")
    @classmethod
    def _known_form(cls, value: str) -> str:
        value = value.strip()
        kind = base_model_kind(value)
        if kind == "registry" and not REGISTRY_PATTERN.match(value):
            raise ValueError("a registered model is models:/NAME@ALIAS or models:/NAME/VERSION")
        if kind == "zoo" and not MODEL_ID_PATTERN.match(value):
            raise ValueError("not a model-zoo id, a models:/ URI, a .pt file or a yolo*.yaml architecture")
        return value

    def resolved_device(self) -> str:
        """The ultralytics device: "cpu", or "0" for the first GPU (auto picks a GPU only when torch sees one)."""
        if self.device == "cpu":
            return "cpu"
        import torch

        if self.device == "cuda" or torch.cuda.is_available():
            return "0"
        return "cpu"

    def ultralytics_args(self, backbone_layers: int) -> dict[str, Any]:
        """Arguments for `YOLO.train()`; `backbone_layers` (len of the model's yaml backbone) is what gets frozen."""
        device = self.resolved_device()
        return {
            "epochs": self.epochs, "imgsz": self.imgsz, "batch": self.batch, "patience": self.patience,
            "device": device, "seed": self.seed, "workers": 0 if device == "cpu" else 2,
            "freeze": backbone_layers if self.freeze_backbone else None,
            **AUGMENTATION_PRESETS[self.preset],
        }
