"""Detached workers (workbench.jobs.process): spawn, liveness robust to pid reuse, stop on SIGTERM like Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from workbench.jobs.process import alive, interrupt_on_sigterm, process_facts, spawn, terminate

# a tiny worker: SIGTERM becomes KeyboardInterrupt (the helper under test), it says when it is ready and how it ended
WORKER = """
import pathlib, sys, time
from workbench.jobs.process import interrupt_on_sigterm
interrupt_on_sigterm()
out = pathlib.Path(sys.argv[1])
(out / "ready").touch()
try:
    time.sleep(float(sys.argv[2]))
    (out / "ended").write_text("slept")
except KeyboardInterrupt:
    (out / "ended").write_text("interrupted")
"""


def wait_for(check, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def start_worker(tmp_path: Path, seconds: float) -> dict:
    return spawn([sys.executable, "-c", WORKER, str(tmp_path), str(seconds)], tmp_path / "worker.log")


@pytest.mark.slow  # starts a worker process
def test_a_spawned_worker_is_alive_then_dead_once_it_has_exited(tmp_path):
    info = start_worker(tmp_path, 1.0)
    assert set(info) == {"pid", "create_time"} and info["create_time"] > 0
    assert alive(info)
    assert os.getsid(info["pid"]) == info["pid"]  # its own session: a page refresh or Ctrl-C here does not reach it
    wait_for(lambda: not alive(info))
    assert (tmp_path / "ended").read_text() == "slept"
    assert (tmp_path / "worker.log").exists()


def test_a_reused_pid_with_another_start_time_counts_as_dead(tmp_path):
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        facts = process_facts(stranger.pid)
        assert alive(facts)
        assert not alive({**facts, "create_time": facts["create_time"] - 100})  # the pid was someone else's before
        assert not alive(facts, cmdline_contains="labelstudio")  # or: not the program that was recorded
        assert terminate({**facts, "create_time": facts["create_time"] - 100}, timeout=1)  # nothing of ours to stop
        assert stranger.poll() is None  # a reused pid is never signalled
    finally:
        stranger.kill()
        stranger.wait()


def test_nothing_recorded_or_garbage_is_not_alive():
    assert not alive(None) and not alive({}) and not alive({"pid": "x"})
    assert process_facts(2**22 + 12345)["create_time"] == 0.0  # no such process: nothing to watch


@pytest.mark.slow  # starts a worker process
def test_sigterm_interrupts_the_worker_which_still_ends_in_order(tmp_path):
    info = start_worker(tmp_path, 60.0)
    wait_for((tmp_path / "ready").exists)
    assert terminate(info, timeout=30)
    assert not alive(info)
    assert (tmp_path / "ended").read_text() == "interrupted"


@pytest.mark.slow  # starts a worker process
def test_a_worker_that_ignores_sigterm_is_killed_after_the_timeout(tmp_path):
    code = "import signal, time, pathlib, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); " \
           "pathlib.Path(sys.argv[1]).touch(); time.sleep(60)"
    info = spawn([sys.executable, "-c", code, str(tmp_path / "ready")], tmp_path / "log")
    wait_for((tmp_path / "ready").exists)
    assert terminate(info, timeout=0.5, kill=False) is False and alive(info)  # asked, not forced
    assert terminate(info, timeout=0.5) is False  # forced: it did not end by itself
    wait_for(lambda: not alive(info))


def test_interrupt_on_sigterm_raises_keyboard_interrupt_and_gives_back_the_previous_handler():
    before = signal.getsignal(signal.SIGTERM)
    previous = interrupt_on_sigterm()
    try:
        assert previous == {signal.SIGTERM: before}
        with pytest.raises(KeyboardInterrupt):  # noqa: PT012 - the handler runs at the next bytecode: the sleep
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    assert signal.getsignal(signal.SIGTERM) == before


def test_alive_sees_a_zombie_as_dead():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    facts = process_facts(proc.pid)
    wait_for(lambda: psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE)  # ended, not waited for yet
    assert not alive(facts)
    proc.wait()
