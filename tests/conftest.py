"""Test-wide settings: English messages, ultralytics offline, and a workbench home outside the checkout."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("WORKBENCH_LANG", "en")
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")
os.environ.setdefault("WORKBENCH_HOME", tempfile.mkdtemp(prefix="workbench-home-"))

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")


@pytest.fixture(scope="session")
def vtest_video() -> Path:
    """vtest.avi (768x576 street scene with pedestrians); installs Debian's opencv-doc when it is missing."""
    if not VTEST.exists() and not VTEST.with_suffix(".avi.gz").exists():
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], check=True, env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "opencv-doc"], check=True, env=env,
                       capture_output=True)
    if VTEST.exists():
        return VTEST
    packed = VTEST.with_suffix(".avi.gz")  # in case the package compresses its examples
    assert packed.exists(), f"opencv-doc did not provide {VTEST}"
    with gzip.open(packed) as src, open(VTEST, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return VTEST
