"""Model fixtures: an untrained YOLO exported to ONNX (structure only: its scores are all near zero)."""

from __future__ import annotations

from pathlib import Path

import pytest
from onnx_support import export_onnx


@pytest.fixture(scope="session")
def untrained_onnx(untrained_pt: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """yolo11n.yaml with random weights exported to ONNX at 320 px: output [1, 84, 2100], names '0'..'79'."""
    return export_onnx(untrained_pt, tmp_path_factory.mktemp("onnx"), 320)
