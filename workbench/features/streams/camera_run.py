"""One camera of `workbench serve`: its thread, its current compiled pipeline, its status and health."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.block import LiveHandle
from workbench.core.errors import WorkbenchError
from workbench.core.locations import redact
from workbench.engine.graph import CompiledPipeline
from workbench.features.streams.cameras import CameraEntry
from workbench.media.health import HEALTH_FILE, StreamHealth

PREVIOUS_RUNS = "previous-runs"


@dataclass
class CameraRun:
    """One camera's thread and what it has done so far (across restarts of its pipeline)."""

    cam: CameraEntry
    out_dir: Path
    compiled: CompiledPipeline | None = None
    live: LiveHandle | None = None  # the open stream's health and stop, while its pipeline runs
    # starting | running | restarting | done | stopped_early | cancelled | stopped | error
    status: str = "starting"
    error: str = ""
    events: int = 0  # events of every run of this camera
    restarts: int = 0
    thread: threading.Thread | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)

    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def request_stop(self) -> None:
        """Ask this camera to end: a waiting restart is cancelled, a running pipeline closes its files."""
        self.stopping.set()
        if self.live is not None:
            self.live.stop()

    def fail(self, exc: BaseException) -> None:
        self.status = "error"
        if isinstance(exc, WorkbenchError):
            self.error = "; ".join(f"{p.where()}: {p.message()}" for p in exc.problems)
        else:
            self.error = f"{type(exc).__name__}: {exc}"

    def health(self) -> StreamHealth:
        live = self.live
        h = live.health() if live is not None else StreamHealth(url=redact(self.cam.url))
        h.camera, h.restarts = self.cam.id, self.restarts
        if self.status in ("error", "restarting"):
            h.state, h.connected, h.last_error = self.status, False, self.error
        elif live is None:
            h.state = self.status
        elif self.status == "stopped":
            h.state = "stopped"
        h.last_error = h.last_error or self.error  # after a restart: why the camera was restarted
        return h


def keep_earlier_outputs(folder: Path) -> Path | None:
    """Move what an earlier run left in a camera's folder to previous-runs/NNNN (the next number); the camera's
    health.json stays. Returns the new folder, or None when there was nothing to keep."""
    if not folder.is_dir():
        return None
    kept = (HEALTH_FILE, PREVIOUS_RUNS)
    leftovers = [p for p in folder.iterdir() if p.name not in kept and not p.name.startswith(".")]
    if not leftovers:
        return None
    previous = folder / PREVIOUS_RUNS
    previous.mkdir(exist_ok=True)
    numbers = [int(p.name) for p in previous.iterdir() if p.name.isdigit()]
    target = previous / f"{max(numbers, default=0) + 1:04d}"
    target.mkdir()
    for path in leftovers:
        os.replace(path, target / path.name)
    return target
