"""Fixtures of the registry tests: tiny real weights (built once per session) and a home with a district key."""

from __future__ import annotations

from pathlib import Path

import pytest
from sharing_support import tiny_weights_pair


@pytest.fixture(scope="session")
def tiny_weights(untrained_pt: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The untrained yolo11n checkpoint and its ONNX export (built once per session, offline)."""
    return tiny_weights_pair(untrained_pt, tmp_path_factory.mktemp("bundle-weights"))
