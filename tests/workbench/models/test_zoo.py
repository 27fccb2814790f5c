"""The model zoo: bundled manifests, import into the cache, checksum, offline behaviour, safe loading."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from workbench.core.errors import BlockError, WorkbenchError
from workbench.models import zoo
from workbench.models.ultralytics_env import prepare_ultralytics

BUNDLED = Path(__file__).resolve().parents[3] / "model_zoo"


def problem_of(err: pytest.ExceptionInfo[WorkbenchError]):
    assert len(err.value.problems) == 1
    return err.value.problems[0]


def test_bundled_manifests_are_valid_and_carry_no_weights(monkeypatch):
    monkeypatch.delenv("WORKBENCH_ZOO_DIR", raising=False)
    models = {m.id: m for m in zoo.list_models()}
    yolo = models["yolo11n"]
    assert yolo.ultralytics_name == "yolo11n.pt" and yolo.license == "AGPL-3.0" and yolo.task == "detect"
    assert len(yolo.classes) == 80 and yolo.classes[:3] == ["person", "bicycle", "car"]
    assert not list(BUNDLED.glob("*.pt"))  # no ultralytics (AGPL) weights in the repository
    shipped = {}
    for path in BUNDLED.glob("*.yaml"):
        manifest = zoo.read_manifest(path)
        assert manifest.id == path.stem
        if manifest.weights_path().is_file():
            shipped[manifest.weights_path().name] = manifest
    assert sorted(p.name for p in BUNDLED.glob("*.onnx")) == sorted(shipped)  # every file belongs to a manifest
    for manifest in shipped.values():  # a shipped file: checked, runs without torch, says where it came from
        assert manifest.weights.sha256 == zoo.sha256_of(manifest.weights_path())
        assert manifest.format in ("yolo", "nanodet") and "AGPL" not in manifest.license and manifest.provenance


def test_missing_weights_offline_says_how_to_import(zoo_home):
    with pytest.raises(BlockError) as err:
        zoo.resolve_weights("yolo11n", "det", "model")
    problem = problem_of(err)
    assert (problem.code, problem.node, problem.field) == ("weights_missing", "det", "model")
    assert problem.params["hint"] == "workbench zoo import FILE --id yolo11n"
    assert str(zoo_home / "models" / "yolo11n" / "yolo11n.pt") in problem.params["looked"]


def test_downloads_only_when_allowed(zoo_home, monkeypatch):
    monkeypatch.setenv("WORKBENCH_ALLOW_DOWNLOADS", "1")
    target = zoo.resolve_weights("yolo11n")
    assert target == zoo_home / "models" / "yolo11n" / "yolo11n.pt"  # ultralytics would fetch the release file here
    assert not target.exists()
    monkeypatch.setenv("WORKBENCH_ALLOW_DOWNLOADS", "0")
    with pytest.raises(BlockError):
        zoo.resolve_weights("yolo11n")


def test_unknown_model_lists_the_known_ids(zoo_home):
    with pytest.raises(BlockError) as err:
        zoo.get_model("yolo5000", "det", "model")
    problem = problem_of(err)
    assert (problem.code, problem.node, problem.field, problem.params["known"]) == (
        "unknown_model", "det", "model", "yolo11n")


def test_import_copies_hashes_and_reads_class_names(zoo_home, untrained_pt, tmp_path):
    source = tmp_path / "upload" / "best.pt"
    source.parent.mkdir()
    shutil.copy(untrained_pt, source)
    manifest = zoo.import_weights(source, "bikes", license="CC-BY-4.0", description="bikes on Elm St")
    source.unlink()  # the zoo keeps its own copy
    path = zoo.resolve_weights("bikes")
    assert path.parent == zoo_home / "models" / "bikes" and path.suffix == ".pt"
    assert manifest.weights.sha256 == zoo.sha256_of(path)
    assert manifest.classes == [str(i) for i in range(80)]  # read from the untrained_pt itself
    on_disk = yaml.safe_load((zoo_home / "models" / "bikes.yaml").read_text())
    assert on_disk["id"] == "bikes" and on_disk["license"] == "CC-BY-4.0" and on_disk["weights"]["sha256"]
    assert [m.id for m in zoo.list_models()] == ["bikes", "yolo11n"]
    model = zoo.load_detector(path)
    assert len(model.names) == 80


def test_import_renames_classes_but_keeps_their_number(zoo_home, untrained_pt):
    names = [f"c{i}" for i in range(80)]
    assert zoo.import_weights(untrained_pt, "renamed", classes=names).classes == names
    with pytest.raises(BlockError) as err:
        zoo.import_weights(untrained_pt, "renamed", classes=["car", "bus"])
    assert problem_of(err).code == "model_classes_mismatch"


def test_imported_model_replaces_bundled_one_offline(zoo_home, untrained_pt):
    zoo.import_weights(untrained_pt, "yolo11n")
    assert zoo.resolve_weights("yolo11n") == zoo_home / "models" / "yolo11n" / "yolo11n.pt"
    assert zoo.get_model("yolo11n").classes[0] == "0"


def test_changed_file_is_refused_until_imported_again(zoo_home, untrained_pt):
    zoo.import_weights(untrained_pt, "tiny")
    cached = zoo.resolve_weights("tiny")
    cached.write_bytes(cached.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(BlockError) as err:
        zoo.resolve_weights("tiny", "det", "model")
    problem = problem_of(err)
    assert (problem.code, problem.node, problem.field) == ("weights_changed", "det", "model")
    assert problem.params["hint"] == "workbench zoo import FILE --id tiny"
    zoo.import_weights(untrained_pt, "tiny")
    assert zoo.resolve_weights("tiny") == cached


def test_crafted_checkpoint_is_refused_and_never_runs(zoo_home, evil_pt):
    evil, marker = evil_pt
    for attempt in (lambda: zoo.import_weights(evil, "evil"), lambda: zoo.load_detector(evil, "det", "model")):
        with pytest.raises(BlockError) as err:
            attempt()
        assert problem_of(err).code == "weights_unsafe"
    assert not marker.exists()
    assert not (zoo_home / "models" / "evil.yaml").exists()


@pytest.mark.parametrize(("name", "content", "code"), [
    ("junk.pt", b"not a untrained_pt", "weights_unreadable"),
    ("model.bin", b"\0" * 16, "weights_format"),
])
def test_unusable_files_are_refused(zoo_home, tmp_path, name, content, code):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BlockError) as err:
        zoo.import_weights(path, "x")
    assert problem_of(err).code == code


def test_import_checks_id_and_file(zoo_home, tmp_path, untrained_pt):
    with pytest.raises(BlockError) as err:
        zoo.import_weights(tmp_path / "nope.pt", "x")
    assert (problem_of(err).code, problem_of(err).field) == ("import_file_missing", "file")
    with pytest.raises(BlockError) as err:
        zoo.import_weights(untrained_pt, "../../etc")
    assert (problem_of(err).code, problem_of(err).field) == ("model_id_invalid", "id")


def test_broken_manifest_names_the_file(zoo_home):
    bad = Path(os.environ["WORKBENCH_ZOO_DIR"]) / "bad.yaml"
    bad.write_text("id: bad\nweights: {}\n")
    with pytest.raises(BlockError) as err:
        zoo.list_models()
    problem = problem_of(err)
    assert problem.code == "model_manifest_invalid" and problem.params["path"] == str(bad)
    assert "weights.file" in problem.params["detail"]


def test_ultralytics_is_prepared_offline_and_safe(zoo_home):
    config_dir = prepare_ultralytics()
    assert prepare_ultralytics() == config_dir  # idempotent
    import ultralytics.utils as ul

    assert os.environ["YOLO_OFFLINE"] == "1" and os.environ["YOLO_AUTOINSTALL"] == "0"
    assert os.environ["ULTRALYTICS_SAFE_LOAD"] == "1"
    assert ul.SETTINGS["sync"] is False and ul.SETTINGS["mlflow"] is False
    assert (config_dir / "Arial.ttf").stat().st_size > 100_000
    assert (config_dir / "Arial.Unicode.ttf").is_file()
    from ultralytics.utils.checks import check_font

    assert Path(check_font("Arial.ttf")).parent == config_dir  # found locally: nothing to download


def test_onnx_without_onnxruntime_says_what_to_install(zoo_home, tmp_path, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime"
                        else real_find_spec(name, *a))
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\0" * 16)
    with pytest.raises(BlockError) as err:
        zoo.load_detector(path, "det", "model")
    problem = problem_of(err)
    assert (problem.code, problem.node, problem.field) == ("onnx_runtime_missing", "det", "model")


def test_an_onnx_file_that_is_not_an_ultralytics_export_is_not_given_to_ultralytics(monkeypatch):
    monkeypatch.delenv("WORKBENCH_ZOO_DIR", raising=False)
    nanodet = zoo.resolve_weights("nanodet-m-416")  # bundled; runs in detection/onnx
    with pytest.raises(BlockError) as err:
        zoo.load_detector(nanodet, "det", "model")
    problem = problem_of(err)
    assert (problem.code, problem.node, problem.field) == ("weights_not_ultralytics", "det", "model")
    assert "detection/onnx" in problem.message() and str(nanodet) in problem.message("zh")
