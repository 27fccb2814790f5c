"""Where the workbench keeps its own files (model cache, ultralytics settings): the workbench home."""

from __future__ import annotations

import os
from pathlib import Path


def workbench_home() -> Path:
    """`WORKBENCH_HOME` if set, else `.workbench` in the current folder. Not created here."""
    env = os.environ.get("WORKBENCH_HOME", "").strip()
    return Path(env).expanduser().resolve() if env else (Path.cwd() / ".workbench").resolve()


def user_pipelines_dir() -> Path:
    """The user's saved pipelines (the app's library; imported algorithms land here too): `<home>/pipelines`."""
    return workbench_home() / "pipelines"
