"""Is a training any good? Two checks a few-clip user cannot make alone.

- Before: a base whose backbone was never trained (an architecture yaml, or a checkpoint saved untrained) has random
  features; freezing them leaves only the head to learn on noise, so freezing is switched off with a warning.
  "Never trained" is read from the weights: every BatchNorm of the backbone still has its initial statistics (mean 0,
  variance 1); any training moves them (a frozen backbone keeps them, so a model fine-tuned with its random backbone
  frozen still counts as untrained).
- After: the fine-tuned model's mAP50 on the validation clips against 0 and against its base's mAP50 on the same
  images (when the base knows the dataset's classes): "zero" and "no_better" are loud warnings, recorded with the run
  and the registered version so promotion can show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from workbench.core.errors import Problem

ZERO_MAP50 = 0.001  # at or below this the model finds (almost) nothing
Verdict = Literal["better", "no_better", "zero", "unscored_base"]
VERDICT_TAG = "workbench.verdict"
BASE_MAP50_METRIC = "base/mAP50"


def backbone_untrained(model: Any) -> bool:
    """True when every BatchNorm of the backbone (`model.yaml['backbone']` layers) has its initial statistics."""
    import torch

    layers = len((getattr(model, "yaml", None) or {}).get("backbone", []))
    norms = [m for name, m in model.named_modules() if isinstance(m, torch.nn.BatchNorm2d)
             and name.split(".")[:2][-1].isdigit() and int(name.split(".")[1]) < layers]
    if not norms:
        return False
    return all(bool(torch.all(m.running_mean == 0)) and bool(torch.all(m.running_var == 1)) for m in norms)


def freeze_warning(base_model: str) -> Problem:
    return Problem("training_freeze_untrained", field="freeze_backbone", severity="warning",
                   params={"model": base_model})


@dataclass
class Quality:
    """The verdict of a finished training and the numbers behind it."""

    verdict: Verdict
    map50: float | None
    base_map50: float | None
    warnings: list[Problem] = field(default_factory=list)


def base_map50(base_weights: str, untrained: bool, classes: list[str], data_yaml: Path, imgsz: int, batch: int,
               device: str, warnings: list[Problem]) -> float | None:
    """The base model's mAP50 on the validation split, or None when it cannot be scored on these classes.

    An untrained base scores 0 without being run."""
    if untrained:
        return 0.0
    from workbench.models.zoo import read_class_names

    if not base_weights.endswith(".pt") or read_class_names(Path(base_weights)) != list(classes):
        return None  # e.g. a COCO model for a dataset of site classes: not comparable
    from workbench.core.errors import WorkbenchError
    from workbench.features.evaluation.detection import validate_model

    try:
        return validate_model(base_weights, data_yaml, imgsz, batch, "val", "base", device).map50
    except WorkbenchError as exc:  # the training stands; only the comparison is missing
        warnings.extend(Problem(p.code, field=p.field, params=p.params, severity="warning") for p in exc.problems)
        return None


def judge(map50: float | None, base: float | None, base_model: str, untrained_base: bool) -> Quality:
    """Verdict and loud warnings from the fine-tuned model's and the base's mAP50 on the same validation images."""
    shown = "-" if map50 is None else f"{map50:.3f}"
    if map50 is None or map50 <= ZERO_MAP50:
        code = "training_scored_zero_untrained_base" if untrained_base else "training_scored_zero"
        return Quality("zero", map50, base, [Problem(code, field="mAP50", severity="warning",
                                                     params={"map50": shown, "base": base_model})])
    if base is None:
        return Quality("unscored_base", map50, None)
    if map50 <= base:
        return Quality("no_better", map50, base, [Problem(
            "training_no_better_than_base", field="mAP50", severity="warning",
            params={"map50": shown, "base": base_model, "base_map50": f"{base:.3f}"})])
    return Quality("better", map50, base)
