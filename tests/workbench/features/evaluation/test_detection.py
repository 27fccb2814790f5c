"""Detection metrics of two models on one held-out dataset, side by side (tiny untrained models: structure only)."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
import yaml

from workbench.core.errors import WorkbenchError
from workbench.features.evaluation.detection import compare_models, dataset_classes
from workbench.features.synth import compute_truth, get, render_frames
from workbench.features.synth.truth import boxes_at

CLASSES = ["vehicle", "person"]


def write_dataset(root: Path, every: int = 50) -> tuple[Path, dict[str, int]]:
    """A YOLO dataset of demo-clip frames (val split only) and the number of labeled boxes per class."""
    scenario = get("demo")
    truth = compute_truth(scenario)
    w, h = scenario.size
    (root / "images" / "val").mkdir(parents=True)
    (root / "labels" / "val").mkdir(parents=True)
    counts = dict.fromkeys(CLASSES, 0)
    for i, img in enumerate(render_frames(scenario, 1)):
        if i % every != 25:
            continue
        cv2.imwrite(str(root / "images" / "val" / f"f{i:04d}.jpg"), img)
        lines = []
        for _, cls, (x1, y1, x2, y2) in boxes_at(truth, i):
            name = "person" if cls == "person" else "vehicle"
            counts[name] += 1
            lines.append(f"{CLASSES.index(name)} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} "
                         f"{(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}")
        (root / "labels" / "val" / f"f{i:04d}.txt").write_text("\n".join(lines), encoding="utf-8")
    data = root / "data.yaml"
    data.write_text(yaml.safe_dump({"path": str(root), "train": "images/val", "val": "images/val",
                                    "names": dict(enumerate(CLASSES))}), encoding="utf-8")
    return data, counts


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    return write_dataset(tmp_path_factory.mktemp("dataset"))


@pytest.fixture(scope="module")
def two_class_pt(tmp_path_factory, untrained_pt) -> Path:
    """An untrained yolo11n for the dataset's two classes, saved as a real ultralytics checkpoint."""
    from ultralytics import YOLO
    from ultralytics.nn.tasks import DetectionModel

    model = YOLO("yolo11n.yaml")
    model.model = DetectionModel("yolo11n.yaml", nc=len(CLASSES), verbose=False)
    model.model.names = dict(enumerate(CLASSES))
    path = tmp_path_factory.mktemp("weights") / "base.pt"
    model.save(str(path))
    return path


def test_two_models_side_by_side_on_the_same_data(dataset, two_class_pt, tmp_path):
    data, counts = dataset
    copy = tmp_path / "finetuned.pt"
    copy.write_bytes(two_class_pt.read_bytes())
    result = compare_models(data, [two_class_pt, copy], imgsz=160)
    base, tuned = result.models
    assert (base.label, tuned.label) == ("base", "finetuned")
    assert result.classes == tuple(CLASSES)
    for m in (base, tuned):
        assert [c.name for c in m.per_class] == CLASSES
        assert {c.name: c.instances for c in m.per_class} == counts  # counted from the labels by ultralytics
        assert m.instances == sum(counts.values())
        assert 0.0 <= m.map50_95 <= m.map50 <= 1.0
    same = lambda m: (m.map50, m.map50_95, m.precision, m.recall, m.per_class)  # noqa: E731
    assert same(base) == same(tuned)  # identical weights, identical numbers
    metrics = result.metrics()
    assert metrics["detection.base.map50"] == metrics["detection.finetuned.map50"] == base.map50
    assert "detection.finetuned.person.recall" in metrics
    assert "finetuned" in result.format_text("en")


def test_a_model_with_other_classes_is_refused(dataset, untrained_pt):
    with pytest.raises(WorkbenchError) as err:
        compare_models(dataset[0], [untrained_pt], imgsz=160)  # 80 classes named '0'..'79'
    problem = err.value.problems[0]
    assert problem.code == "eval_model_classes_differ" and problem.params["data_classes"] == "vehicle, person"


def test_missing_files_are_user_errors(tmp_path, two_class_pt):
    with pytest.raises(WorkbenchError) as err:
        dataset_classes(tmp_path / "none.yaml")
    assert err.value.problems[0].code == "eval_data_missing"
    (tmp_path / "bad.yaml").write_text("path: x\nval: images\n", encoding="utf-8")
    with pytest.raises(WorkbenchError) as err:
        dataset_classes(tmp_path / "bad.yaml")
    assert err.value.problems[0].code == "eval_data_bad"
    data, _ = write_dataset(tmp_path / "ds", every=250)
    with pytest.raises(WorkbenchError) as err:
        compare_models(data, [tmp_path / "missing.pt"])
    assert (err.value.problems[0].code, err.value.problems[0].field) == ("model_file_missing", "--model")


def test_models_are_named_as_everywhere_else(tmp_path):
    """eval detection --model goes through the one resolver training and labeling use (no resolver of its own)."""
    from workbench.features.evaluation import detection
    from workbench.features.training import model_ref

    assert detection.resolve_model is model_ref.resolve_model
    data, _ = write_dataset(tmp_path / "ds", every=250)
    with pytest.raises(WorkbenchError) as err:
        compare_models(data, ["yolo11n.yaml"])  # an architecture: the shared resolver says only training starts there
    assert (err.value.problems[0].code, err.value.problems[0].field) == ("model_ref_untrained_architecture", "--model")


def test_cli_prints_both_models_as_json(dataset, two_class_pt, capsys):
    import argparse
    import json

    from workbench.features.evaluation.cli_eval import add_parsers

    parser = argparse.ArgumentParser(prog="workbench")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["eval", "detection", str(dataset[0]), "--model", str(two_class_pt), "--model",
                              str(two_class_pt), "--imgsz", "160", "--json"])
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert [m["label"] for m in out["models"]] == ["base", "base#2"]
    assert out["models"][0]["per_class"] == out["models"][1]["per_class"]
    assert out["classes"] == CLASSES
