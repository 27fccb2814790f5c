"""A serve's events.jsonl as the Cameras page reads it: events per camera (counted incrementally, the file only grows)
and the latest events of one camera (read from the end of the file)."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path
from typing import Any

_counts: dict[Path, tuple[int, dict[str, int]]] = {}  # events file -> (bytes counted, events per camera)
_counts_lock = threading.Lock()


def event_counts(path: Path) -> dict[str, int]:
    """Events per camera in a serve's events.jsonl; reads only what was appended since the last call."""
    with _counts_lock:
        done, counts = _counts.get(path, (0, {}))
        try:
            size = path.stat().st_size
        except OSError:
            return {}
        if size < done:  # a new file in its place
            done, counts = 0, {}
        with path.open("rb") as f:
            f.seek(done)
            chunk = f.read(size - done)
        complete = chunk[:chunk.rfind(b"\n") + 1]  # a line still being written is counted next time
        counts = dict(counts)
        for line in complete.splitlines():
            with contextlib.suppress(ValueError, AttributeError):
                camera = str(json.loads(line).get("camera", ""))
                counts[camera] = counts.get(camera, 0) + 1
        _counts[path] = (done + len(complete), counts)
        return counts


def tail_events(path: Path, camera: str, limit: int = 10, tail_bytes: int = 1 << 20) -> list[dict[str, Any]]:
    """The newest `limit` events of one camera (newest first), from the last `tail_bytes` of an events.jsonl."""
    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - tail_bytes))
            lines = f.read().splitlines()
    except OSError:
        return []
    found: list[dict[str, Any]] = []
    for line in reversed(lines):
        with contextlib.suppress(ValueError):
            event = json.loads(line)
            if isinstance(event, dict) and event.get("camera") == camera:
                found.append(event)
                if len(found) >= limit:
                    break
    return found
