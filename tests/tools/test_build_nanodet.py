"""The committed NanoDet ONNX (model_zoo/nanodet-m-416.onnx) is what tools/pretrained/build_nanodet.py makes.

The slow test reruns the whole conversion from the registries (pip, npm; ~2.5 min on 2 cores with the pinned wheels
already kept, ~1 min more on a fresh machine) and wants the same bytes; the tool's own checks (ONNX vs TensorFlow,
the reviewed detections on bus.jpg and vtest.avi) must pass on the way.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "pretrained" / "build_nanodet.py"
ONNX = REPO / "model_zoo" / "nanodet-m-416.onnx"
MANIFEST = REPO / "model_zoo" / "nanodet-m-416.yaml"


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_names_the_committed_onnx() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    coco = yaml.safe_load((REPO / "model_zoo" / "yolo11n.yaml").read_text(encoding="utf-8"))["classes"]
    assert manifest["weights"] == {"file": ONNX.name, "sha256": sha256_of(ONNX)}
    assert manifest["classes"] == coco
    assert manifest["decoder"] == {"strides": [8, 16, 32], "reg_max": 10}
    assert {p["part"] for p in manifest["provenance"]} == {"package", "model", "training data", "conversion"}
    notices = MANIFEST.with_suffix(".LICENSE").read_text(encoding="utf-8")
    assert "Copyright 2020-2021 RangiLyu" in notices and "Copyright (c) 2021 Vladimir Mandic" in notices


@pytest.mark.slow
def test_rebuild_gives_the_committed_bytes(tmp_path: Path, vtest_video: Path) -> None:
    if shutil.which("npm") is None:
        pytest.fail("npm is needed (README: Node.js/npm are the only things installed by hand)")
    work = tmp_path / "work"  # venv (~1.5 GB), npm tarball, SavedModel: removed at the end
    out = tmp_path / "nanodet-m-416.onnx"
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, str(TOOL), "--out", str(out), "--work", str(work),
                               "--vtest", str(vtest_video)], capture_output=True, text=True, timeout=840)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-6000:]
    report, _ = json.JSONDecoder().raw_decode(proc.stdout)
    print(f"rebuilt in {time.monotonic() - started:.0f} s: {json.dumps(report)}")
    assert report["problems"] == []
    assert report["max_abs_diff_onnx_vs_tf"] < 1e-4
    assert report["vtest_frames"] == 16 and report["vtest_per_frame"]["person"] > 5
    assert sha256_of(out) == sha256_of(ONNX), "the rebuilt ONNX differs from model_zoo/nanodet-m-416.onnx"
