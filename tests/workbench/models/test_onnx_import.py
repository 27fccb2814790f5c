"""Bring your own ONNX: `workbench zoo import FILE.onnx --format yolo|nanodet --classes ...` checks the file against
the format before anything is written, and refuses (naming the file and what was expected) what does not fit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from onnx_support import constant_model, nanodet_outputs

from workbench.core.errors import BlockError
from workbench.models import zoo

COCO = yaml.safe_load((Path(__file__).resolve().parents[3] / "model_zoo" / "yolo11n.yaml").read_text())["classes"]


@pytest.fixture(scope="module")
def fake_nanodet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A NanoDet-m 416 head (split outputs, 80 classes, reg_max 10) that finds one box."""
    return constant_model(tmp_path_factory.mktemp("nanodet") / "nanodet.onnx",
                          nanodet_outputs([(16, 10, 5, 2, 0.9, (2, 3, 4, 1))]))


def zoo_files(home: Path) -> list[str]:
    folder = home / "models"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def problem_of(err: pytest.ExceptionInfo[BlockError]):
    assert len(err.value.problems) == 1
    return err.value.problems[0]


def test_a_yolo_export_is_imported_with_its_runtime_settings(zoo_home, untrained_onnx):
    manifest = zoo.import_weights(untrained_onnx, "mine", format="yolo")
    assert manifest.format == "yolo" and manifest.classes == [str(i) for i in range(80)]  # the export's names
    assert (manifest.preprocess.width, manifest.preprocess.height, manifest.preprocess.resize) == (320, 320,
                                                                                                   "letterbox")
    assert manifest.decoder is None and manifest.provenance == []
    on_disk = zoo.get_model("mine")
    assert on_disk.format == "yolo" and on_disk.preprocess == manifest.preprocess
    assert zoo.resolve_weights("mine") == zoo_home / "models" / "mine" / "mine.onnx"
    assert zoo_files(zoo_home) == ["mine", "mine.yaml", "mine/mine.onnx"]


def test_a_nanodet_file_gets_its_decoder_from_its_outputs(zoo_home, fake_nanodet):
    manifest = zoo.import_weights(fake_nanodet, "nano", classes=COCO, format="nanodet")
    assert manifest.decoder.strides == (8, 16, 32) and manifest.decoder.reg_max == 10
    spec = manifest.preprocess
    assert (spec.width, spec.height, spec.resize, spec.color) == (416, 416, "stretch", "bgr")
    assert spec.mean == (103.53, 116.28, 123.675) and spec.std == (57.375, 57.12, 58.395)
    assert zoo.get_model("nano").decoder == manifest.decoder


@pytest.mark.parametrize(("case", "fmt", "classes", "code", "expected"), [
    ("nanodet-as-yolo", "yolo", COCO, "onnx_outputs_mismatch", "[1, 4 + classes, N]"),
    ("yolo-as-nanodet", "nanodet", COCO, "onnx_outputs_mismatch", "NanoDet"),
    ("yolo-wrong-classes", "yolo", ["car", "truck"], "onnx_classes_mismatch", None),
    ("nanodet-wrong-classes", "nanodet", ["car", "truck", "bus"], "onnx_classes_mismatch", None),
    ("nanodet-no-classes", "nanodet", None, "model_classes_missing", None),
    ("text", "yolo", COCO, "onnx_unreadable", None),
    ("truncated", "nanodet", COCO, "onnx_unreadable", None),
    ("pt", "yolo", COCO, "import_needs_onnx", None),
])
def test_files_that_do_not_fit_are_refused_and_nothing_is_written(zoo_home, untrained_onnx, untrained_pt,
                                                                   fake_nanodet, tmp_path, case, fmt, classes, code,
                                                                   expected):
    zoo.import_weights(untrained_onnx, "keep", format="yolo")  # an earlier import stays as it was
    before = {p: (zoo_home / "models" / p).stat().st_mtime_ns for p in zoo_files(zoo_home)}
    files = {"nanodet-as-yolo": fake_nanodet, "yolo-as-nanodet": untrained_onnx, "yolo-wrong-classes": untrained_onnx,
             "nanodet-wrong-classes": fake_nanodet, "nanodet-no-classes": fake_nanodet, "pt": untrained_pt}
    if case == "text":
        files[case] = tmp_path / "model.onnx"
        files[case].write_text("this is not a model\n")
    if case == "truncated":
        files[case] = tmp_path / "cut.onnx"
        files[case].write_bytes(fake_nanodet.read_bytes()[:5000])
    with pytest.raises(BlockError) as err:
        zoo.import_weights(files[case], "new", classes=classes, format=fmt)
    problem = problem_of(err)
    assert problem.code == code
    assert str(files[case]) in problem.message() and str(files[case]) in problem.message("zh")
    if expected:
        assert expected in problem.message()
    if code == "onnx_classes_mismatch":
        assert (problem.params["found"], problem.params["given"]) == (80, len(classes))
    assert {p: (zoo_home / "models" / p).stat().st_mtime_ns for p in zoo_files(zoo_home)} == before


def workbench(*args: str, home: Path, lang: str = "en") -> subprocess.CompletedProcess:
    env = {**os.environ, "WORKBENCH_HOME": str(home), "WORKBENCH_LANG": lang}
    return subprocess.run([sys.executable, "-m", "workbench.apps.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_the_command_line_imports_and_refuses_without_a_traceback(zoo_home, fake_nanodet, untrained_onnx, tmp_path):
    ok = workbench("zoo", "import", str(fake_nanodet), "--format", "nanodet", "--classes", ",".join(COCO),
                   home=zoo_home)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("nanodet: nanodet, 80 classes, sha256 ")  # --id defaults to the file's name
    bad = workbench("zoo", "import", str(untrained_onnx), "--format", "nanodet", "--classes", "a,b", "--id", "x",
                    home=zoo_home, lang="zh")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert str(untrained_onnx) in bad.stderr and "不符合 nanodet 格式" in bad.stderr
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(np.random.default_rng(0).bytes(3000))
    refused = workbench("zoo", "import", str(junk), "--format", "yolo", "--classes", "a", home=zoo_home)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"{junk} cannot be opened as an ONNX model" in refused.stderr
    assert zoo_files(zoo_home) == ["nanodet", "nanodet.yaml", "nanodet/nanodet.onnx"]
