"""Is a training any good: an untrained backbone is recognised from its weights, and the verdict compares the
fine-tuned model with 0 and with its base (no training here; the trainings are in test_trainer / test_cli_training)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.features.training.quality import backbone_untrained, judge


def _model(path: str | Path):
    from workbench.models.ultralytics_env import prepare_ultralytics

    prepare_ultralytics()
    from ultralytics import YOLO

    return YOLO(str(path), task="detect").model


def test_an_untrained_backbone_is_recognised_from_its_weights(untrained_pt: Path, trained_look_pt: Path):
    assert backbone_untrained(_model("yolo11n.yaml"))
    assert backbone_untrained(_model(untrained_pt))  # saved, but never trained
    assert not backbone_untrained(_model(trained_look_pt))


@pytest.mark.parametrize(("map50", "base", "untrained", "verdict", "code"), [
    (0.0, None, True, "zero", "training_scored_zero_untrained_base"),
    (0.0004, 0.4, False, "zero", "training_scored_zero"),
    (None, None, False, "zero", "training_scored_zero"),
    (0.35, 0.41, False, "no_better", "training_no_better_than_base"),
    (0.41, 0.41, False, "no_better", "training_no_better_than_base"),
    (0.62, 0.41, False, "better", None),
    (0.62, None, False, "unscored_base", None),
])
def test_the_verdict(map50, base, untrained, verdict, code):
    quality = judge(map50, base, "yolo11n", untrained)
    assert quality.verdict == verdict
    assert [w.code for w in quality.warnings] == ([code] if code else [])
    for w in quality.warnings:
        assert w.severity == "warning" and w.field == "mAP50"
        for lang in ("en", "zh"):
            text = w.message(lang)
            assert "yolo11n" in text and ("-" if map50 is None else f"{map50:.3f}") in text
