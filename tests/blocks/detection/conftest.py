"""Detection test fixtures: a crafted malicious checkpoint (zoo and checkpoint fixtures: tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


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
