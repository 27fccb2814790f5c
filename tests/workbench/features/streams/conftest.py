"""Fixtures for the stream tests: a synthetic traffic clip (H.264, 20 s, 14 vehicles crossing the counting line)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def traffic_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench.features.synth import generate

    return generate("traffic", tmp_path_factory.mktemp("clip")).video
