"""Where staff may pick videos on this server: the operator's footage folders plus the workbench's own.

`WORKBENCH_FOOTAGE_DIRS` (folders separated by `os.pathsep`, e.g. `/srv/footage:/mnt/nas/cameras`) names the folders
the app may browse; the workbench home's demo clip, uploads and clip library are always included. Only video files
are listed, and a path is picked from the list, never typed, so the app opens nothing else on the server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from workbench.core.locations import VIDEO_SUFFIXES
from workbench.core.paths import workbench_home
from workbench.core.policy import operator_policy

FOOTAGE_DIRS_ENV = "WORKBENCH_FOOTAGE_DIRS"
MAX_LISTED = 500  # videos listed per folder (deepest folders last); a larger archive is browsed folder by folder
MAX_DEPTH = 4


def own_dirs(home: Path | None = None) -> list[Path]:
    """The workbench's own video folders: the demo clip, uploads, the clip library."""
    home = home or workbench_home()
    return [home / "demo", home / "uploads", home / "clips"]


def footage_dirs(home: Path | None = None) -> list[Path]:
    """Every folder videos may be picked from (existing ones only), the operator's first."""
    configured = [Path(p).expanduser() for p in os.environ.get(FOOTAGE_DIRS_ENV, "").split(os.pathsep) if p.strip()]
    seen: dict[Path, None] = {}
    for folder in [*operator_policy().footage_dirs, *configured, *own_dirs(home)]:
        try:
            resolved = folder.resolve()
        except (OSError, RuntimeError):
            continue
        if resolved.is_dir():
            seen.setdefault(resolved)
    return list(seen)


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def allowed(path: str | Path, home: Path | None = None) -> bool:
    """Is `path` a video file inside one of the footage folders (after resolving links and `..`)?"""
    try:
        resolved = Path(path).expanduser().resolve()
    except (OSError, RuntimeError):
        return False
    return is_video(resolved) and resolved.is_file() and any(
        resolved.is_relative_to(root) for root in footage_dirs(home))


def videos_in(root: Path, limit: int = MAX_LISTED) -> list[Path]:
    """Video files under `root` (sub-folders down to MAX_DEPTH), by path; hidden files and folders skipped."""
    return sorted(_walk(root, 0))[:limit]


def _walk(folder: Path, depth: int) -> Iterator[Path]:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if entry.is_file() and is_video(path):
            yield path
        elif entry.is_dir(follow_symlinks=False) and depth < MAX_DEPTH:
            yield from _walk(path, depth + 1)


def save_upload(name: str, data: bytes) -> Path:
    """Keep an uploaded video in `<home>/uploads/` under a safe version of its name (same name: replaced)."""
    safe = re.sub(r"[^\w.-]+", "_", Path(name).name).strip("._") or "upload.mp4"
    folder = workbench_home() / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe
    if not (target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data):
        partial = folder / f".{safe}.{os.getpid()}.part"
        partial.write_bytes(data)
        partial.replace(target)
    return target
