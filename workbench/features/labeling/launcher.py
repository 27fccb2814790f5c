"""Starting and stopping the local Label Studio from the app: `workbench labelstudio start` run in the background.

The launcher is that CLI command in its own session (it outlives the page that pressed the button); its pid, port and
log are in `<home>/labelstudio/launcher.json`. The first start installs Label Studio into its own venv (minutes, once),
then Label Studio prepares its database (40-110 s on 2 cores). A stop sends SIGTERM to the launcher, which stops Label
Studio and removes `server.json`, exactly like Ctrl-C on the command line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from workbench.features.labeling import server
from workbench.jobs.process import alive, spawn, terminate

DEFAULT_PORT = 8080
LAUNCHER_FILE, LAUNCHER_LOG = "launcher.json", "launcher.log"
State = Literal["stopped", "starting", "running", "failed"]


@dataclass(frozen=True)
class LauncherStatus:
    """What the local Label Studio is doing, as the Clips page shows it."""

    state: State
    url: str = ""
    log_tail: str = ""  # the launcher's last lines, when it failed


def _file(home: Path | None) -> Path:
    return (home or server.labelstudio_home()) / LAUNCHER_FILE


def _alive(known: dict[str, Any] | None) -> bool:
    """The launcher launcher.json names still runs (a reused pid of another program does not count: its start time,
    recorded since, or else its command line tells)."""
    return alive(known, cmdline_contains="labelstudio")


def start_in_background(port: int | None = None, venv: Path | None = None, home: Path | None = None) -> int:
    """Spawn `workbench labelstudio start` detached (port 8080 when free, else any free one); returns its pid.

    A launcher that is already alive is left alone and its pid returned.
    """
    home = home or server.labelstudio_home()
    known = _read(home)
    if known and _alive(known):
        return int(known["pid"])
    if port is None:
        port = DEFAULT_PORT if server.port_is_free(DEFAULT_PORT) else server.free_port()
    home.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "workbench.apps.cli", "labelstudio", "start", "--port", str(port)]
    if venv is not None:
        command += ["--venv", str(venv)]
    facts = spawn(command, home / LAUNCHER_LOG, env=dict(os.environ), name="labelstudio")
    _file(home).write_text(json.dumps({**facts, "port": port, "started": time.time()}), encoding="utf-8")
    return int(facts["pid"])


def _read(home: Path) -> dict | None:
    path = _file(home)
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, ValueError):
        return None


def launcher_status(home: Path | None = None) -> LauncherStatus:
    """Stopped (never started or stopped), starting (installing or preparing), running (answering), or failed."""
    home = home or server.labelstudio_home()
    known = _read(home)
    if not known:
        return LauncherStatus("stopped")
    info = server.local_server_info(home)
    running = _alive(known)
    if running and info and info.port == int(known["port"]):
        return LauncherStatus("running", url=info.url)
    if running:
        return LauncherStatus("starting")
    log = home / LAUNCHER_LOG  # it ended without being stopped here: what it said last says why
    tail = log.read_bytes()[-3000:].decode("utf-8", "replace") if log.is_file() else ""
    return LauncherStatus("failed", log_tail=tail)


def stop_local(home: Path | None = None, grace_s: float = 30.0) -> bool:
    """Stop the launcher (and with it Label Studio); True once it has exited (then it counts as stopped, not failed)."""
    home = home or server.labelstudio_home()
    known = _read(home)
    if known and not terminate(known, grace_s, kill=False, poll_s=0.3, cmdline_contains="labelstudio"):
        return False
    _file(home).unlink(missing_ok=True)
    return True
