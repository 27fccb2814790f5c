"""Background runs: real worker processes writing into run folders under the workbench home."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
import zipfile
from pathlib import Path

import cv2
import pytest

from workbench.core import footage
from workbench.core.locations import is_stream_url
from workbench.engine.spec import load_spec
from workbench.features.synth import generate, load_truth
from workbench.features.synth import get as get_scenario
from workbench.jobs import runs as jobs
from workbench.media.video_io import is_h264_mp4

PIPELINE = Path(__file__).resolve().parents[3] / "pipelines" / "vehicle_count_line.yaml"
TIMEOUT_S = 180
FPS = 25
KILL_AFTER = 150  # frames the summary must report before the kill


@pytest.fixture(scope="module")
def traffic(tmp_path_factory) -> tuple[Path, dict]:
    clip = generate("traffic", tmp_path_factory.mktemp("clip"), seed=0)
    return clip.video, load_truth(clip.truth)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def wait_until(run_id: str, done, timeout: float = TIMEOUT_S) -> jobs.RunStatus:
    """Poll the run's status until `done(status)` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = jobs.run_status(run_id)
        if done(status):
            return status
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {jobs.run_status(run_id).state} after {timeout} s: "
                         + (jobs.run_dir(run_id) / jobs.LOG_FILE).read_text(errors="replace")[-2000:])


def event_lines(run_id: str) -> list[dict]:
    path = jobs.output_dir(run_id) / "events.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def start(source: Path | str) -> str:
    return jobs.start_run(load_spec(PIPELINE), jobs.RunRequest(source=str(source), label="vehicle_count_line"))


@pytest.mark.slow  # starts a worker process
def test_a_run_goes_on_in_the_background_and_counts_what_the_truth_says(home, traffic):
    clip, truth = traffic
    began = time.monotonic()
    run_id = start(clip)
    assert time.monotonic() - began < 5  # start_run returns at once; the work happens in the worker
    assert not jobs.run_status(run_id).finished
    assert jobs.run_dir(run_id).parent == home / "runs"

    seen_running = wait_until(run_id, lambda s: s.state == "running" and s.frames > 0)
    assert seen_running.expected == truth["frames"]
    status = wait_until(run_id, lambda s: s.finished)

    assert status.state == "done", status.problems
    assert status.frames == truth["frames"] and status.fps > 0
    assert status.pipeline == "vehicle-count-line" and status.source == str(clip)
    events = event_lines(run_id)
    crossings = [e for e in truth["events"] if e["type"] == "line_crossing"]
    assert len(events) == status.summary["event_total"] == status.event_total == len(crossings)
    for direction in ("in", "out"):
        assert sum(e["direction"] == direction for e in events) == sum(e["direction"] == direction for e in crossings)

    logged = [json.loads(line) for line in jobs.events_file(run_id).read_text(encoding="utf-8").splitlines()]
    def key(e):
        return e["frame"], e["node"], e["type"], e["track_id"], e["direction"]

    assert [key(e) for e in logged] == [key(e) for e in events], "the run's own log holds every event, whatever sinks"

    archive = jobs.results_zip(run_id)
    with zipfile.ZipFile(archive) as z:
        names = set(z.namelist())
    assert {"events.jsonl", "annotated.mp4", "summary.json"} <= names
    assert sum(n.startswith("snapshots/") and n.endswith(".jpg") for n in names) == len(events)
    made = archive.stat().st_mtime_ns
    assert jobs.results_zip(run_id).stat().st_mtime_ns == made  # made once


@pytest.mark.slow  # starts a worker process
def test_cancel_stops_the_run_and_keeps_the_events_so_far(home, traffic):
    clip, truth = traffic
    run_id = start(clip)
    events_file = jobs.output_dir(run_id) / "events.jsonl"
    deadline = time.monotonic() + TIMEOUT_S
    while not (events_file.is_file() and events_file.read_text(encoding="utf-8").strip()):
        assert time.monotonic() < deadline and not jobs.run_status(run_id).finished
        time.sleep(0.1)
    jobs.cancel_run(run_id)
    assert jobs.run_status(run_id).cancel_requested

    status = wait_until(run_id, lambda s: s.finished)
    assert status.state == "cancelled"
    assert 0 < status.frames < truth["frames"]
    events = event_lines(run_id)
    assert 0 < len(events) == status.summary["event_total"]
    assert (jobs.output_dir(run_id) / "annotated.mp4").stat().st_size > 0


@pytest.mark.slow  # starts a worker process
def test_a_missing_video_fails_with_a_problem_naming_the_source_node(home, tmp_path):
    missing = tmp_path / "no-such-clip.mp4"
    run_id = start(missing)
    status = wait_until(run_id, lambda s: s.finished)
    assert status.state == "error"
    [problem] = status.problems
    assert (problem.code, problem.node, problem.field) == ("source_missing", "src", "path")
    assert str(missing) in problem.message("en")
    stored = json.loads((jobs.run_dir(run_id) / jobs.PROBLEMS_FILE).read_text(encoding="utf-8"))
    assert str(missing) in stored[0]["messages"]["zh"] and stored[0]["messages"]["zh"] != stored[0]["messages"]["en"]


@pytest.mark.slow  # starts a worker process
def test_list_runs_shows_the_newest_first(home, tmp_path):
    assert jobs.list_runs() == []
    first = start(tmp_path / "first.mp4")
    second = start(tmp_path / "second.mp4")
    assert [r.id for r in jobs.list_runs()] == [second, first]
    for run_id in (first, second):
        wait_until(run_id, lambda s: s.finished)
    listed = jobs.list_runs()
    assert [r.id for r in listed] == [second, first]
    assert [Path(r.source).name for r in listed] == ["second.mp4", "first.mp4"]


@pytest.mark.slow
def test_a_killed_worker_shows_as_lost_and_keeps_its_video_and_summary(home, tmp_path):
    """kill -9 (power cut, OOM killer): the annotated video plays up to about a second before, summary.json says how
    far the run got, and the page shows the run as interrupted, not running."""
    clip = generate(dataclasses.replace(get_scenario("traffic"), duration=60.0), tmp_path, seed=0).video
    run_id = start(clip)
    wait_until(run_id, lambda s: s.state == "running" and (s.summary or {}).get("frames", 0) >= KILL_AFTER)
    pid = json.loads((jobs.run_dir(run_id) / jobs.WORKER_FILE).read_text())["pid"]
    os.kill(pid, signal.SIGKILL)
    status = wait_until(run_id, lambda s: s.finished, timeout=30)
    assert status.state == "lost"
    assert status.summary["status"] == "running" and status.frames == status.summary["frames"] >= KILL_AFTER
    assert status.summary["last_frame"] is not None and "event_total" in status.summary

    video = jobs.output_dir(run_id) / "annotated.mp4"
    assert is_h264_mp4(video)
    capture = cv2.VideoCapture(str(video))
    played = 0
    while capture.read()[0]:
        played += 1
    capture.release()
    # at most ~1 s (one fragment) plus the frames inside the encoder are lost
    assert played >= KILL_AFTER - 2 * FPS, played


def test_run_ids_from_outside_cannot_leave_the_runs_folder(home):
    (home / "runs").mkdir(parents=True)
    for bad in ("../../etc", "20261124-101502-ab12", "", "20261124-101502-ab12/../x"):
        with pytest.raises(KeyError):
            jobs.run_dir(bad)


def test_uploads_are_kept_in_the_home_under_a_safe_name(home):
    saved = footage.save_upload("../路口 1.mp4", b"video bytes")
    assert saved == home / "uploads" / "路口_1.mp4" and saved.read_bytes() == b"video bytes"
    before = saved.stat().st_mtime_ns
    time.sleep(0.01)
    assert footage.save_upload("路口 1.mp4", b"video bytes").stat().st_mtime_ns == before  # same file: not rewritten
    assert footage.save_upload("路口 1.mp4", b"new bytes").read_bytes() == b"new bytes"


def test_stream_urls_are_told_from_paths():
    assert is_stream_url("rtsp://10.0.0.5/stream1") and is_stream_url(" HTTPS://cam/x.m3u8")
    assert not is_stream_url("/data/clip.mp4") and not is_stream_url("file:///data/clip.mp4")
