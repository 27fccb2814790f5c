"""The Train page's plain-data helpers: dataset and base-model choices, form values, job progress, and MLflow runs
compared side by side (against a real embedded MLflow store)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from workbench.apps.ui import train_view as view
from workbench.core.i18n import t
from workbench.features.training.config import TrainConfig
from workbench.features.training.tracking import CHAMPION, Tracking, TrainingRecord, embedded_uri, promote


def _dataset(root: Path, name: str, train: list[int], val: list[int], classes=("car", "truck")) -> Path:
    """A dataset folder: one image file and one label file per entry, the entry being its number of boxes."""
    folder = root / name
    for split, boxes in (("train", train), ("val", val)):
        (folder / "images" / split).mkdir(parents=True)
        (folder / "labels" / split).mkdir(parents=True)
        for i, n in enumerate(boxes):
            (folder / "images" / split / f"f{i}.jpg").write_bytes(b"jpg")
            (folder / "labels" / split / f"f{i}.txt").write_text("0 0.5 0.5 0.1 0.1\n" * n)
    data = {"path": str(folder), "train": "images/train", "val": "images/val", "names": dict(enumerate(classes))}
    (folder / "data.yaml").write_text(yaml.safe_dump(data))
    return folder / "data.yaml"


def test_datasets_are_listed_with_version_and_counts(tmp_path: Path):
    _dataset(tmp_path, "aaaa1111bbbb2222", train=[2, 1, 0], val=[3])
    built = _dataset(tmp_path, "cccc3333dddd4444", train=[1], val=[1], classes=("bus",))
    (built.parent / "dataset.json").write_text(json.dumps({"images": {"train": 40, "val": 8},
                                                           "boxes": {"bus": 120}}))  # the builder's counts win
    _dataset(tmp_path, ".building-1234", train=[1], val=[1])  # a dataset being written is not offered
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "data.yaml").write_text("names: [")
    found = {c.version: c for c in view.list_datasets(tmp_path)}
    assert set(found) == {"aaaa1111bbbb2222", "cccc3333dddd4444"}
    plain = found["aaaa1111bbbb2222"]
    assert (plain.images, plain.boxes, plain.classes) == ({"train": 3, "val": 1}, 6, ("car", "truck"))
    assert (found["cccc3333dddd4444"].images, found["cccc3333dddd4444"].boxes) == ({"train": 40, "val": 8}, 120)
    label = view.dataset_label(plain, "en")
    assert label == t("app.train.dataset_option", "en", version="aaaa1111bbbb2222", train=3, val=1, boxes=6,
                      classes=2)
    assert view.list_datasets(tmp_path / "nothing") == []


def test_form_defaults_come_from_train_config_and_bad_values_name_the_field():
    fields = view.train_fields()
    defaults = TrainConfig()
    assert {n: fields[n].default for n in (*view.FORM_FIELDS, *view.ADVANCED_FIELDS)} == {
        n: getattr(defaults, n) for n in (*view.FORM_FIELDS, *view.ADVANCED_FIELDS)}
    assert fields["imgsz"].step == 32 and fields["preset"].options == ("none", "light", "strong")
    config, problems = view.form_config({"base_model": "yolo11n.yaml", "epochs": 1, "imgsz": 160})
    assert problems == [] and (config.epochs, config.imgsz) == (1, 160)
    config, problems = view.form_config({"imgsz": 100, "model_name": "has space"})
    assert config is None
    assert sorted((p.code, p.field) for p in problems) == [("training_option_invalid", "imgsz"),
                                                           ("training_option_invalid", "model_name")]


def test_zoo_models_show_whether_weights_are_here_and_offer_their_architecture(zoo_home: Path):
    choices = {c.value: c for c in view.zoo_base_choices()}
    assert choices["yolo11n"].kind == "zoo" and not choices["yolo11n"].present
    assert choices["yolo11n.yaml"].kind == "architecture"
    assert t("app.forms.weights_missing", "zh") in view.base_label(choices["yolo11n"], "zh")


def test_progress_eta_and_epoch_curves():
    progress = {"epochs": 4, "epoch": 2, "batch": 1, "batches": 4, "seconds_per_epoch": 10.0,
                "history": [{"epoch": 1, "losses": {"train/box_loss": 3.0, "train/cls_loss": 5.0}, "mAP50": 0.1,
                             "mAP50_95": 0.05},
                            {"epoch": 2, "losses": {"train/box_loss": 2.0, "train/cls_loss": 4.0}, "mAP50": 0.3,
                             "mAP50_95": None}]}
    assert view.progress_fraction(progress) == pytest.approx(2.25 / 4)
    assert view.eta_seconds(progress) == pytest.approx(17.5)
    assert view.eta_seconds({"epochs": 4, "epoch": 0, "history": []}) is None
    assert [view.format_duration(s) for s in (None, 65.2, 3723)] == ["?", "1:05", "1:02:03"]
    losses, quality = view.epoch_curves(progress, "zh")
    assert list(losses.index) == [1, 2] and losses.index.name == t("app.train.epoch", "zh")
    assert list(losses[view.metric_label("train/box_loss", "zh")]) == [3.0, 2.0]
    assert list(quality[view.metric_label("mAP50", "zh")]) == [0.1, 0.3]
    empty_losses, _ = view.epoch_curves({"epochs": 3}, "en")
    assert empty_losses.empty


def test_result_warnings_become_translatable_problems():
    result = {"warnings": [{"code": "mlflow_unreachable", "field": "MLFLOW_TRACKING_URI",
                            "params": {"url": "http://127.0.0.1:9", "local": "sqlite:///x/mlflow.db"}}]}
    [warning] = view.result_warnings(result)
    assert (warning.code, warning.severity) == ("mlflow_unreachable", "warning")
    assert "127.0.0.1:9" in warning.message("zh")
    assert view.result_warnings(None) == []


def _record(name: str, params: dict, curve: list[float], register: Path | None = None) -> TrainingRecord:
    record = TrainingRecord(Tracking(embedded_uri(), True), name)
    record.start(params, {})
    for epoch, value in enumerate(curve, start=1):
        record.log_metrics({"metrics/mAP50(B)": value, "metrics/precision(B)": value + 0.1}, epoch)
    if register is not None:
        record.register(register, "view-model", {})
    record.end("FINISHED")
    return record


def test_runs_from_mlflow_side_by_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert view.training_runs(embedded_uri()) == [] and not (tmp_path / "home" / "mlflow.db").exists()
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "best.pt").write_bytes(b"weights")
    first = _record("first", {"epochs": 2, "imgsz": 160, "dataset_version": "aaaa"}, [0.1, 0.2], model_dir)
    second = _record("second", {"epochs": 3, "imgsz": 320, "dataset_version": "bbbb"}, [0.2, 0.4, 0.5])

    runs = view.training_runs(embedded_uri())
    assert [r.run_id for r in runs] == [second.run_id, first.run_id]  # newest first
    table = view.comparison_table(runs, "en")
    assert list(table.columns) == [r.label for r in runs]
    assert list(table.loc[view.field_text("imgsz", "en")]) == ["320", "160"]
    assert list(table.loc[view.field_text("dataset_version", "en")]) == ["bbbb", "aaaa"]
    assert list(table.loc[view.metric_label("mAP50", "en")]) == ["0.500", "0.200"]  # the final epoch's value
    assert list(table.loc[t("app.train.status", "en")]) == [t("app.train.run_status.FINISHED", "en")] * 2
    curves = view.map50_curves(embedded_uri(), runs, "en")
    assert curves[runs[0].label].tolist() == [0.2, 0.4, 0.5]
    assert curves[runs[1].label].dropna().tolist() == [0.1, 0.2]

    assert view.version_aliases(embedded_uri(), "view-model", "1") == ["candidate"]
    promote("view-model", "1", CHAMPION, uri=embedded_uri())
    assert view.version_aliases(embedded_uri(), "view-model", "1") == ["candidate", "champion"]
    registered = {c.value: c for c in view.registered_base_choices(embedded_uri())}
    assert set(registered) == {"models:/view-model@candidate", "models:/view-model@champion", "models:/view-model/1"}
    assert registered["models:/view-model/1"].aliases == ("candidate", "champion")
    assert "champion" in view.base_label(registered["models:/view-model/1"], "en")
