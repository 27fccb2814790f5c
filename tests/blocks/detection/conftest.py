"""Fixtures for the detection blocks: an offline model zoo and checkpoints built in the test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

BUNDLED_ZOO = Path(__file__).resolve().parents[3] / "model_zoo"


@pytest.fixture
def zoo_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty workbench home and a zoo folder holding only the bundled yolo11n manifest (no weights anywhere)."""
    home, zoo_dir = tmp_path / "home", tmp_path / "zoo"
    zoo_dir.mkdir()
    shutil.copy(BUNDLED_ZOO / "yolo11n.yaml", zoo_dir / "yolo11n.yaml")
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_ZOO_DIR", str(zoo_dir))
    monkeypatch.delenv("WORKBENCH_ALLOW_DOWNLOADS", raising=False)
    return home


@pytest.fixture(scope="session")
def untrained_pt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ultralytics checkpoint built offline from yolo11n.yaml (random weights, 80 classes named '0'..'79')."""
    from workbench.ultralytics_env import prepare_ultralytics

    with pytest.MonkeyPatch.context() as mp:  # ultralytics' settings go to a temporary home, not the checkout
        mp.setenv("WORKBENCH_HOME", str(tmp_path_factory.mktemp("home")))
        prepare_ultralytics()
    from ultralytics import YOLO

    path = tmp_path_factory.mktemp("weights") / "tiny.pt"
    YOLO("yolo11n.yaml").save(str(path))
    return path


@pytest.fixture
def evil_pt(tmp_path: Path) -> tuple[Path, Path]:
    """A checkpoint whose unpickling would create a marker file (stands for any command); returns (file, marker)."""
    import torch

    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pt"
    torch.save({"model": Payload(), "train_args": {}}, path)
    return path, marker
