"""Fixtures the app page tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh workbench home (the embedded sqlite MLflow) holding the drawn demo clip and its generator truth
    (demo/demo_s0.mp4 + .truth.json: what make_demo_clip makes without opencv-doc; the motion pipeline
    vehicle_count_line counts it exactly, so page tests need no pretrained detector)."""
    from workbench.features.synth import generate

    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("home")
        mp.setenv("WORKBENCH_HOME", str(home))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        generate("demo", home / "demo", seed=0)
        yield home


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, untrained_pt: Path):
    """A local-folder registry with releases from two districts (tests.workbench.apps.ui.share_registry)."""
    from tests.workbench.apps.ui.share_registry import publish_registry, share_env

    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("share-home")
        share_env(mp, home)
        yield publish_registry(home, untrained_pt)
