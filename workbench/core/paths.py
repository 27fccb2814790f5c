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


def write_atomic(path: Path, text: str, private: bool = False) -> None:
    """Write `text` so readers never see half a file (a temporary file renamed over `path`); `private`: readable by
    this user only (mode 0600), for a file that may hold a camera password or another secret."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)  # a leftover keeps its old mode
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    tmp.replace(path)
