"""Fixtures the app page tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh workbench home (the embedded sqlite MLflow) holding the demo clip and its generator truth
    (demo/demo_s0.mp4 + .truth.json)."""
    from workbench.features.synth import generate

    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("home")
        mp.setenv("WORKBENCH_HOME", str(home))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        generate("demo", home / "demo", seed=0)
        yield home
