"""Health of a live stream: counters a reader thread updates, a snapshot record, and health.json written every second.

Core-independent (standard library only), so the runner, the CLI and the app can all read it.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HEALTH_FILE = "health.json"
SERVE_STATE_FILE = "serve.json"  # `workbench serve`: the cameras file, its reloads and the last reload's problems
RATE_WINDOW_S = 5.0  # fps in/out are measured over the last few seconds


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class Outage:
    """A time the stream was down: from the failed read (or the first try) to the next frame; end None = still down."""

    start: str
    end: str | None = None
    seconds: float | None = None


@dataclass
class StreamHealth:
    """What `workbench serve`, health.json and the app show per camera."""

    camera: str = ""
    url: str = ""  # without password
    # the stream: connecting | connected | reconnecting | eof | gave_up | stopped; `workbench serve` also shows
    # starting | restarting (the pipeline failed, a restart is due) | error (failed for good) | done | stopped_early
    state: str = "connecting"
    connected: bool = False
    fps_in: float = 0.0  # frames read from the camera per second
    fps_out: float = 0.0  # frames handed to the pipeline per second
    lag_s: float = 0.0  # how long the last processed frame waited after it was read
    frames_in: int = 0
    frames_out: int = 0
    dropped: int = 0  # frames read but never processed (drop policy `latest`)
    reconnects: int = 0  # successful connections after the first
    last_error: str = ""
    restarts: int = 0  # `workbench serve` restarted this camera's pipeline after it failed
    outages: list[Outage] = field(default_factory=list)
    updated: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StreamHealth:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        known["outages"] = [Outage(**o) for o in known.get("outages", [])]
        return cls(**known)


class HealthTracker:
    """Thread-safe counters: the reader thread reports reads/drops/errors, the consumer reports processed frames."""

    def __init__(self, camera: str, url: str) -> None:
        self._lock = threading.Lock()
        self._health = StreamHealth(camera=camera, url=url)
        self._ins: deque[float] = deque()
        self._outs: deque[float] = deque()
        self._down_since: float | None = None
        self._ever_connected = False

    def connected(self) -> None:
        """A connection delivered its first frame: closes the open outage, counts a reconnect after the first."""
        with self._lock:
            h = self._health
            h.reconnects += 1 if self._ever_connected else 0
            if self._down_since is not None:
                h.outages[-1].end = now_iso()
                h.outages[-1].seconds = round(time.monotonic() - self._down_since, 3)
            self._ever_connected, self._down_since = True, None
            h.connected, h.state = True, "connected"

    def disconnected(self, error: str) -> None:
        """A read failed or a connection attempt did: opens an outage unless one is open."""
        with self._lock:
            h = self._health
            h.last_error = error or h.last_error
            h.state = "reconnecting" if self._ever_connected else "connecting"
            if self._down_since is None:
                self._down_since = time.monotonic()
                h.outages.append(Outage(start=now_iso()))
            h.connected = False

    def error(self, error: str) -> None:
        with self._lock:
            self._health.last_error = error

    def down_for(self) -> float:
        """Seconds since the stream went down (0 when connected)."""
        with self._lock:
            return 0.0 if self._down_since is None else time.monotonic() - self._down_since

    def frame_in(self) -> None:
        with self._lock:
            self._health.frames_in += 1
            self._ins.append(time.monotonic())

    def dropped(self, n: int = 1) -> None:
        with self._lock:
            self._health.dropped += n

    def frame_out(self, lag_s: float) -> None:
        with self._lock:
            self._health.frames_out += 1
            self._health.lag_s = round(lag_s, 3)
            self._outs.append(time.monotonic())

    def finished(self, state: str) -> None:
        with self._lock:
            self._health.state, self._health.connected = state, False

    def snapshot(self) -> StreamHealth:
        with self._lock:
            now = time.monotonic()
            for times in (self._ins, self._outs):
                while times and times[0] < now - RATE_WINDOW_S:
                    times.popleft()
            h = self._health
            h.fps_in, h.fps_out = _rate(self._ins, now), _rate(self._outs, now)
            h.updated = now_iso()
            return StreamHealth.from_dict(json.loads(json.dumps(h.to_dict())))


def _rate(times: deque[float], now: float) -> float:
    if len(times) < 2:
        return 0.0
    return round((len(times) - 1) / max(now - times[0], 1e-6), 2)


def write_health(path: Path, health: StreamHealth | list[StreamHealth]) -> None:
    """Atomically replace `path` (readers never see half a file)."""
    data = [h.to_dict() for h in health] if isinstance(health, list) else health.to_dict()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def read_health(path: Path) -> list[StreamHealth]:
    """health.json of a run (one stream) or of `workbench serve` (every camera) as a list; [] when absent."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [StreamHealth.from_dict(d) for d in (data if isinstance(data, list) else [data])]


class HealthWriter:
    """A daemon thread writing `snapshot()` to `path` every `every_s` seconds, and once more when stopped."""

    def __init__(self, path: Path, snapshot: Any, every_s: float = 1.0) -> None:
        self.path, self._snapshot, self.every_s = path, snapshot, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"health-{path.parent.name}", daemon=True)

    def start(self) -> HealthWriter:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self._write()

    def _write(self) -> None:
        with contextlib.suppress(OSError):  # a full disk must not stop the stream; the next second tries again
            write_health(self.path, self._snapshot())

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._write()


@dataclass
class ServeState:
    """What `workbench serve` writes to <output>/serve.json when it starts and after every reload of the cameras file.

    `reload_error` holds the problems of the last reload that was refused (each {severity, code, node, field,
    message}); it is empty again once a reload succeeds. The cameras that run are in health.json beside it."""

    cameras_file: str = ""
    pipeline: str = ""
    started: str = ""
    reloads: int = 0  # reloads that were applied
    last_reload: str = ""  # when the file was last read again (applied or refused)
    last_change: str = ""  # what the last applied reload did (one line)
    reload_error: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ServeState:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def write(self, path: Path) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)


def read_serve_state(path: Path) -> ServeState | None:
    """<output>/serve.json of `workbench serve`; None when absent or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return ServeState.from_dict(data) if isinstance(data, dict) else None
