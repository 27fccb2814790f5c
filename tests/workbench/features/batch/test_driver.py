"""A batch on a local Ray: three clips and a corrupt file -> three done with the right counts, one failed after its
retries, everything in one folder, and no Ray process left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from batch_support import PIPELINE, REPO, BatchClips, batch_event_counts, run_batch_cli, truth_counts

RETRIES = 1


def _ray_processes_under(folder: Path) -> list[str]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if str(folder) in cmd:
            found.append(cmd[:120])
    return found


@pytest.mark.slow
def test_local_batch_gathers_every_clip_and_reports_the_corrupt_one(batch_clips: BatchClips, tmp_path: Path,
                                                                    short_tmp: Path) -> None:
    out = tmp_path / "out"
    videos = batch_clips.videos
    sources = [str(videos["traffic"].parent), str(videos["traffic-2"]), str(batch_clips.corrupt)]  # a/: 2 clips
    done = run_batch_cli([str(PIPELINE), *sources, "--out", str(out), "--workers", "2", "--retries", str(RETRIES)],
                         env={"TMPDIR": str(short_tmp)})
    assert done.returncode == 1, done.stderr[-3000:]  # one clip failed; the others are kept

    summary = json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))
    records = {c["clip"]: c for c in summary["clips"]}
    assert sorted(records) == ["broken", "street", "traffic", "traffic-2"]
    assert summary["totals"]["done"] == 3 and summary["totals"]["failed"] == 1
    counts = batch_event_counts(out)
    for name in ("traffic", "traffic-2", "street"):
        rec = records[name]
        expected = truth_counts(batch_clips.truths[name])
        assert rec["status"] == "done" and rec["attempts"] == 1 and rec["frames"] == 200, rec
        assert counts[name] == expected, name  # every crossing per direction, as in the generator's truth
        assert rec["events"] == sum(expected.values()) > 0
        own = json.loads((out / name / "summary.json").read_text(encoding="utf-8"))
        assert own["status"] == "done" and own["source"] == str(videos[name])
        assert len((out / name / "events.jsonl").read_text(encoding="utf-8").splitlines()) == rec["events"]
        assert (out / name / "annotated.mp4").stat().st_size > 0 and any((out / name / "snapshots").iterdir())

    bad = records["broken"]
    assert bad["status"] == "failed" and bad["error_code"] == "source_not_video"
    assert bad["attempts"] == RETRIES + 1
    error = json.loads((out / "broken" / "error.json").read_text(encoding="utf-8"))
    assert error["problems"][0]["code"] == "source_not_video" and error["attempts"] == RETRIES + 1
    assert summary["totals"]["events"] == sum(len(c) and sum(c.values()) for c in counts.values())

    table = done.stdout.splitlines()
    for name in records:  # the printed table has a row per clip
        assert any(line.startswith(name + " ") for line in table), done.stdout
    # clean shutdown: Ray's session folder is gone and none of its processes is left
    assert not list(short_tmp.glob("wb-ray-*")) and not _ray_processes_under(short_tmp)


def _wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def _done_clips(out: Path) -> int:
    try:
        summary = json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    return sum(1 for c in summary["clips"] if c["status"] == "done")


@pytest.mark.slow
def test_a_stopped_batch_keeps_finished_clips_and_shuts_ray_down(batch_clips: BatchClips, tmp_path: Path,
                                                                 short_tmp: Path) -> None:
    out = tmp_path / "out"
    sources = [str(v) for v in batch_clips.videos.values()]
    proc = subprocess.Popen([sys.executable, "-m", "workbench.features.batch", str(PIPELINE), *sources,
                             "--out", str(out),
                             "--workers", "1", "--quiet"], cwd=REPO, env={**os.environ, "TMPDIR": str(short_tmp)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: _done_clips(out) >= 1 or proc.poll() is not None, 120), "no clip finished"
        proc.send_signal(signal.SIGTERM)  # what docker stop / systemd send
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err[-3000:]
    summary = json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))
    statuses = [c["status"] for c in summary["clips"]]
    assert statuses.count("done") >= 1 and "cancelled" in statuses and "pending" not in statuses, statuses
    assert "finished" in summary
    assert _wait_for(lambda: not _ray_processes_under(short_tmp), 15), _ray_processes_under(short_tmp)
    assert not list(short_tmp.glob("wb-ray-*"))
