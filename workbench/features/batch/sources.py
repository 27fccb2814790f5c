"""The clips of a batch: SOURCES expanded (folders -> their videos), each with a unique name for its result folder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.locations import is_url

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".ts", ".mpg", ".mpeg", ".flv"})
_UNSAFE = re.compile(r"[^\w.-]+")


@dataclass(frozen=True)
class Clip:
    """One unit of work: `name` is its result folder under the batch output (unique within the batch)."""

    name: str
    source: str  # absolute path on this machine, or as given (URL, or a path only the cluster's nodes can see)


def _stem(source: str) -> str:
    stem = Path(source.rstrip("/").split("?")[0]).stem if not is_url(source) else source.rstrip("/").rsplit("/", 1)[-1]
    return _UNSAFE.sub("_", Path(stem).stem).strip("._") or "clip"


def expand_sources(sources: list[str], check_local: bool) -> list[Clip]:
    """Folders become their video files (sorted); names are the file stems, `-2`, `-3`... where stems repeat.

    The same file given twice (e.g. a file and its folder) is run once.

    With `check_local` (a local Ray: every worker sees this machine's files) a missing path is a user error up
    front; on a cluster the nodes may see storage this machine does not, so the clip's worker reports it instead.
    """
    if not sources:
        raise WorkbenchError([Problem("batch_no_sources", field="SOURCES")])
    found: list[str] = []
    missing: list[Problem] = []
    for raw in sources:
        path = Path(raw).expanduser()
        if is_url(raw):
            found.append(raw)
        elif path.is_dir():
            videos = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
            if not videos:
                missing.append(Problem("batch_folder_empty", field="SOURCES", params={"path": raw}))
            found += [str(p.resolve()) for p in videos]
        elif path.exists():
            found.append(str(path.resolve()))
        elif check_local:
            missing.append(Problem("batch_source_missing", field="SOURCES", params={"path": raw}))
        else:
            found.append(raw)
    if missing:
        raise WorkbenchError(missing)
    return unique_names(list(dict.fromkeys(found)))  # the same file named twice (file and its folder) runs once


def unique_names(sources: list[str]) -> list[Clip]:
    """Clips named after their sources' stems; a repeated stem gets `-2`, `-3`... in the order given."""
    used: set[str] = set()
    clips = []
    for source in sources:
        base = _stem(source)
        name, n = base, 1
        while name.lower() in used:  # case-insensitive: result folders may land on a case-insensitive disk
            n += 1
            name = f"{base}-{n}"
        used.add(name.lower())
        clips.append(Clip(name=name, source=source))
    return clips
