"""The batch's Ray workers on a local Ray: each runs many clips; a worker killed in the middle of a clip is replaced
and the clip retried; a worker that cannot see the output folder stops the batch with an error naming the folder, in
the user's language."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from batch_support import PIPELINE, REPO, BatchClips, batch_event_counts, run_batch_cli, truth_counts

from workbench.features.batch.task import CHECK_FILE


def _clip_workers(root: int) -> dict[int, str]:
    """pid -> title of the batch workers under a process (Ray names them ray::ClipWorker[.method])."""
    found = {}
    try:
        procs = psutil.Process(root).children(recursive=True)
    except psutil.Error:
        return found
    for proc in procs:
        try:
            title = " ".join(proc.cmdline())
        except psutil.Error:
            continue
        if title.startswith("ray::ClipWorker"):
            found[proc.pid] = title
    return found


def _wait_for(condition, timeout: float, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(step)
    return None


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_its_clip_retried(batch_clips: BatchClips, tmp_path: Path,
                                                          short_tmp: Path) -> None:
    out = tmp_path / "out"
    sources = [str(v) for v in batch_clips.videos.values()]
    proc = subprocess.Popen([sys.executable, "-m", "workbench.features.batch", str(PIPELINE), *sources,
                             "--out", str(out), "--workers", "2", "--retries", "1", "--quiet"], cwd=REPO,
                            env={**os.environ, "TMPDIR": str(short_tmp)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        running = _wait_for(lambda: [p for p, title in _clip_workers(proc.pid).items() if ".run" in title], 120)
        assert running, "no worker started a clip"
        killed = running[0]
        os.kill(killed, signal.SIGKILL)  # as the kernel's OOM killer would
        _, stderr = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr[-3000:]
    summary = json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))
    records = {c["clip"]: c for c in summary["clips"]}
    assert summary["totals"]["done"] == 3 and summary["workers_replaced"] == 1
    retried = [r for r in records.values() if r["attempts"] == 2]
    assert len(retried) == 1 and retried[0]["pid"] != killed, records  # on the new worker
    assert all(r["attempts"] == 1 for r in records.values() if r not in retried)
    counts = batch_event_counts(out)
    for name, rec in records.items():
        assert counts[name] == truth_counts(batch_clips.truths[name]), name  # the killed attempt left nothing behind
        assert len((out / name / "events.jsonl").read_text(encoding="utf-8").splitlines()) == rec["events"]
    assert len({r["pid"] for r in records.values()}) <= 2 < len(records)  # workers run several clips each
    assert not (out / CHECK_FILE).exists()


@pytest.mark.slow
def test_a_worker_that_cannot_see_the_output_folder_stops_the_batch(batch_clips: BatchClips, tmp_path: Path,
                                                                    short_tmp: Path) -> None:
    """The driver's token vanishes before the workers look: what a worker on a node without the shared folder sees."""
    out = tmp_path / "out"
    marker = out / CHECK_FILE
    hidden = threading.Event()

    def hide() -> None:
        if _wait_for(marker.exists, 60, step=0.005):
            marker.unlink()
            hidden.set()

    watcher = threading.Thread(target=hide, daemon=True)
    watcher.start()
    done = run_batch_cli([str(PIPELINE), str(batch_clips.videos["traffic"]), "--out", str(out), "--workers", "1"],
                         env={"TMPDIR": str(short_tmp), "WORKBENCH_LANG": "zh"})
    watcher.join(5)
    assert hidden.is_set()
    assert done.returncode == 1, done.stderr[-3000:]
    assert f"无法使用输出文件夹 {out.resolve()}" in done.stderr and "共享文件夹" in done.stderr, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    summary = json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))
    assert [c["status"] for c in summary["clips"]] == ["cancelled"] and "finished" in summary
