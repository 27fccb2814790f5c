"""Detached worker processes that outlive the page that started them: the pieces every job kind shares.

A worker is spawned in its own session (a page refresh, the Streamlit script thread or Ctrl-C in the app's terminal do
not reach it), with stdin closed and stdout + stderr in a log file. What identifies it afterwards is `process_facts`:
its pid and the process start time, so a pid the system has since given to another program does not count as alive.
A worker stops on SIGTERM like on Ctrl-C (`interrupt_on_sigterm`), so it can still write what it has.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import psutil

from workbench.core.paths import workbench_home

PID_REUSE_TOLERANCE_S = 1.0  # start times are rounded differently across reads: closer than this is the same process


def worker_env() -> dict[str, str]:
    """The environment of a workbench worker: this one, the same workbench home, unbuffered output (a live log)."""
    return {**os.environ, "WORKBENCH_HOME": str(workbench_home()), "PYTHONUNBUFFERED": "1"}


def process_facts(pid: int) -> dict[str, Any]:
    """`{"pid", "create_time"}` of a process; create_time 0.0 when it has already gone (nothing to watch)."""
    try:
        created = psutil.Process(pid).create_time()
    except psutil.Error:
        created = 0.0
    return {"pid": pid, "create_time": created}


def spawn(command: Sequence[str], log_file: Path, *, cwd: str | Path | None = None,
          env: dict[str, str] | None = None, name: str = "worker") -> dict[str, Any]:
    """Start `command` detached (own session, no stdin, stdout + stderr to `log_file`, truncated); its process facts.

    `env` None is `worker_env()`, `cwd` None this process' folder. A daemon thread waits for the process so it leaves
    no zombie while this process lives.
    """
    with open(log_file, "wb") as log:
        proc = subprocess.Popen(list(command), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, env=worker_env() if env is None else env,
                                cwd=str(cwd) if cwd is not None else os.getcwd())
    facts = process_facts(proc.pid)
    threading.Thread(target=proc.wait, name=f"reap-{name}", daemon=True).start()
    return facts


def alive(info: dict[str, Any] | None, cmdline_contains: str | None = None) -> bool:
    """The process that `info` (from `process_facts`) names still runs: not ended, not a zombie, and not another
    process that got the pid since (a different start time; or, when given, a command line without that word)."""
    if not info:
        return False
    try:
        proc = psutil.Process(int(info["pid"]))
        if info.get("create_time") and abs(proc.create_time() - float(info["create_time"])) > PID_REUSE_TOLERANCE_S:
            return False  # the pid was reused by another process
        if cmdline_contains is not None and cmdline_contains not in proc.cmdline():
            return False
        return proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, KeyError, TypeError, ValueError):
        return False


def terminate(info: dict[str, Any], timeout: float, *, kill: bool = True, poll_s: float = 0.2,
              cmdline_contains: str | None = None) -> bool:
    """SIGTERM the process `info` names and wait up to `timeout` for it to end; True once it has (or was not alive).

    After `timeout` it is killed when `kill` (still False: it did not end by itself). A reused pid is never signalled.
    """
    if not alive(info, cmdline_contains):
        return True
    proc: psutil.Process | None = None
    with contextlib.suppress(psutil.Error):
        proc = psutil.Process(int(info["pid"]))
        proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(info, cmdline_contains):
        if time.monotonic() >= deadline:
            if kill and proc is not None:
                with contextlib.suppress(psutil.Error):
                    proc.kill()
            return False
        time.sleep(poll_s)
    return True


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def interrupt_on_sigterm(*signums: int) -> dict[int, Any]:
    """From now on SIGTERM (or the given signals) raises KeyboardInterrupt in the main thread, so a stop from the
    page, `docker stop` or systemd ends the work like Ctrl-C. Returns the previous handlers, to put back."""
    return {s: signal.signal(s, _interrupt) for s in signums or (signal.SIGTERM,)}
