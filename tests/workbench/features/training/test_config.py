"""The training form: defaults for few clips, presets as ultralytics arguments, base-model forms."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from workbench.features.training.config import AUGMENTATION_PRESETS, TrainConfig, base_model_kind


def test_defaults_suit_a_few_clips_and_every_field_is_described():
    config = TrainConfig()
    assert config.base_model == "yolo11n" and config.freeze_backbone and config.preset == "light"
    assert 10 <= config.epochs <= 100 and config.imgsz % 32 == 0 and config.patience > 0
    for name, info in TrainConfig.model_fields.items():
        assert info.description, f"{name} has no description for the form"


def test_form_values_are_frozen():
    with pytest.raises(ValidationError):
        TrainConfig().epochs = 5  # type: ignore[misc]


@pytest.mark.parametrize(("text", "kind"), [
    ("yolo11n", "zoo"), ("site-muck-truck", "zoo"), ("models:/trucks@champion", "registry"),
    ("models:/trucks/3", "registry"), ("yolo11n.yaml", "architecture"), ("/data/best.pt", "file"),
])
def test_base_model_forms(text, kind):
    assert base_model_kind(TrainConfig(base_model=text).base_model) == kind


@pytest.mark.parametrize("text", ["models:/trucks", "models:/trucks@", "models:/a/b/c", "bad name!", ""])
def test_bad_base_model_is_refused(text):
    with pytest.raises(ValidationError):
        TrainConfig(base_model=text)


@pytest.mark.parametrize(("field", "value"), [("epochs", 0), ("imgsz", 100), ("batch", 0), ("device", "gpu"),
                                         ("preset", "heavy"), ("model_name", "has space")])
def test_out_of_range_values_are_refused(field, value):
    with pytest.raises(ValidationError):
        TrainConfig(**{field: value})


def test_presets_set_the_same_ultralytics_keys_and_grow_in_strength():
    keys = {frozenset(p) for p in AUGMENTATION_PRESETS.values()}
    assert len(keys) == 1  # no preset silently keeps one of ultralytics' (strong) defaults
    none, light, strong = (AUGMENTATION_PRESETS[p] for p in ("none", "light", "strong"))
    assert all(v == 0 for v in none.values())
    for key in light:
        assert none[key] <= light[key] <= strong[key], key


def test_ultralytics_args_freeze_the_backbone_only_when_asked():
    args = TrainConfig(device="cpu", preset="none", epochs=3).ultralytics_args(backbone_layers=11)
    assert args["freeze"] == 11 and args["device"] == "cpu" and args["epochs"] == 3 and args["mosaic"] == 0.0
    assert TrainConfig(freeze_backbone=False).ultralytics_args(11)["freeze"] is None
