"""Test-wide settings: English messages, ultralytics offline, and a workbench home outside the checkout."""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from services.debian import apt_install

os.environ.setdefault("WORKBENCH_LANG", "en")
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")
os.environ.setdefault("WORKBENCH_HOME", tempfile.mkdtemp(prefix="workbench-home-"))

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
BUNDLED_ZOO = Path(__file__).resolve().parents[1] / "model_zoo"


@pytest.fixture(scope="session")
def vtest_video() -> Path:
    """vtest.avi (768x576 street scene with pedestrians); installs Debian's opencv-doc when it is missing."""
    if not VTEST.exists() and not VTEST.with_suffix(".avi.gz").exists():
        apt_install("opencv-doc")
    if VTEST.exists():
        return VTEST
    packed = VTEST.with_suffix(".avi.gz")  # in case the package compresses its examples
    assert packed.exists(), f"opencv-doc did not provide {VTEST}"
    with gzip.open(packed) as src, open(VTEST, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return VTEST


@pytest.fixture(scope="session")
def cjk_font() -> Path:
    """A font that draws Chinese (workbench.media.fonts); installs Debian's fonts-noto-cjk when this machine has
    none."""
    from workbench.media.fonts import cjk_font as find

    if find() is None:
        apt_install("fonts-noto-cjk")
    font = find()
    assert font is not None, "fonts-noto-cjk is installed but workbench.media.fonts finds no CJK font"
    return font


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
    from workbench.models.ultralytics_env import prepare_ultralytics

    with pytest.MonkeyPatch.context() as mp:  # ultralytics' settings go to a temporary home, not the checkout
        mp.setenv("WORKBENCH_HOME", str(tmp_path_factory.mktemp("home")))
        prepare_ultralytics()
    from ultralytics import YOLO

    path = tmp_path_factory.mktemp("weights") / "tiny.pt"
    YOLO("yolo11n.yaml").save(str(path))
    return path


@pytest.fixture
def operator_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write the operator's policy file (WORKBENCH_POLICY points at it) with the given settings; call again to change
    it. Without calling it a test runs under the defaults (no webhook host, no header variable)."""
    import yaml

    path = tmp_path / "policy.yaml"
    monkeypatch.setenv("WORKBENCH_POLICY", str(path))

    def write(**settings: object) -> Path:
        path.write_text(yaml.safe_dump({k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()}),
                        encoding="utf-8")
        return path

    return write


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


@pytest.fixture
def training_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty workbench home; MLflow at its embedded default (no MLFLOW_TRACKING_URI)."""
    home = tmp_path / "home"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return home


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory):
    """A private PostgreSQL server for the whole session (tests/services/postgres.py), started on first use."""
    from services.postgres import postgres

    with postgres(tmp_path_factory.mktemp("postgres")) as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An empty records database, once on SQLite and once on PostgreSQL (a fresh database per test), so the same
    test runs on both; WORKBENCH_DATABASE_URL points at it. Engines are forgotten afterwards."""
    import uuid

    from workbench.records.database import forget_engines

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'records.db'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database(f"test_{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", url)
    forget_engines()
    yield url
    forget_engines()
