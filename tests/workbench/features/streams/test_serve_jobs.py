"""Serves the app manages: a real background `workbench serve` with one live and one dead camera, stop, alive check."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import yaml
from services.ports import free_ports
from stream_support import counting_pipeline, wait_for

from workbench.core.errors import WorkbenchError
from workbench.features.streams import serve_jobs


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def pipeline(tmp_path: Path) -> Path:
    path = tmp_path / "count.yaml"
    path.write_text(counting_pipeline({"type": "sources/video_file@v1", "config": {"path": "replaced"}}).to_yaml(),
                    encoding="utf-8")
    return path


@pytest.mark.slow  # starts a worker process
def test_a_background_serve_reports_live_and_dead_cameras_and_stops_cleanly(home, pipeline, traffic_clip):
    (dead_port,) = free_ports(1)
    dead_url = f"rtsp://admin:secret@127.0.0.1:{dead_port}/cam"
    serve_id = serve_jobs.start_serve(pipeline, [
        {"id": "live", "url": str(traffic_clip)},
        {"id": "dead", "url": dead_url,
         "site": {"src": {"reconnect_initial_s": 0.2, "reconnect_max_s": 0.5, "read_timeout_s": 1}}}])
    folder = home / "serve" / serve_id
    try:
        assert stat.S_IMODE((folder / "cameras.yaml").stat().st_mode) == 0o600
        assert "secret" in (folder / "cameras.yaml").read_text()  # serve needs it ...
        assert "secret" not in (folder / "info.json").read_text()  # ... nothing the app shows has it

        def both_reporting() -> bool:
            health = {h.camera: h for h in serve_jobs.serve_status(serve_id).health}
            return health["live"].fps_in > 0 and bool(health["dead"].last_error)

        wait_for(both_reporting, 60, "health of both cameras")
        status = serve_jobs.serve_status(serve_id)
        assert status.state == "running" and status.kind == "app" and status.not_reporting == []
        health = {h.camera: h for h in status.health}
        assert health["live"].connected and health["live"].state == "connected" and health["live"].frames_out > 0
        assert not health["dead"].connected and health["dead"].frames_in == 0
        assert "secret" not in health["dead"].last_error and "secret" not in health["dead"].url
        assert [s.id for s in serve_jobs.list_serves()] == [serve_id]
    finally:
        stopped = serve_jobs.stop_serve(serve_id)
    assert stopped
    info = json.loads((folder / "info.json").read_text())
    assert not psutil.pid_exists(info["pid"]) or psutil.Process(info["pid"]).status() == psutil.STATUS_ZOMBIE
    status = serve_jobs.serve_status(serve_id)
    assert status.state == "stopped"
    assert {h.camera: h.state for h in status.health} == {"live": "stopped", "dead": "stopped"}
    assert json.loads((folder / "output" / "live" / "summary.json").read_text())["frames"] > 0


def test_bad_camera_rows_are_refused_with_the_cli_problems_and_start_nothing(home, pipeline):
    cases = [([{"id": "a", "url": "rtsp://x/1"}, {"id": "a", "url": "rtsp://x/2"}], "cameras"),
             ([{"id": "gate 1", "url": "rtsp://x/1"}], "cameras.0.id"),
             ([{"id": "b", "url": ""}], "cameras.0.url"),
             ([], "cameras")]
    for cameras, where in cases:
        with pytest.raises(WorkbenchError) as err:
            serve_jobs.start_serve(pipeline, cameras)
        assert (err.value.problems[0].code, err.value.problems[0].field) == ("serve_file_invalid", where)
    with pytest.raises(WorkbenchError) as err:
        serve_jobs.start_serve(pipeline, [{"id": "a", "url": "rtsp://x/1", "site": {"nope": {"x": 1}}}])
    assert (err.value.problems[0].code, err.value.problems[0].node) == ("serve_unknown_node", "nope")
    with pytest.raises(WorkbenchError) as err:  # a site setting the block refuses: the pipeline check names it
        serve_jobs.start_serve(pipeline, [{"id": "a", "url": "rtsp://x/1", "site": {"src": {"buffer_frames": 0}}}])
    assert (err.value.problems[0].node, err.value.problems[0].field) == ("a/src", "config.buffer_frames")  # camera/node
    assert serve_jobs.list_serves() == []


def test_a_reused_pid_is_not_taken_for_a_running_serve(home, pipeline, tmp_path):
    """info.json names a pid that now belongs to another process (started later): the serve is crashed, not running,
    and stop does not signal that stranger."""
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        folder = home / "serve" / "20260101-000000-abcd"
        folder.mkdir(parents=True)
        created = psutil.Process(stranger.pid).create_time()
        (folder / "info.json").write_text(json.dumps({
            "id": folder.name, "kind": "app", "pid": stranger.pid, "create_time": created - 100,
            "cameras": [{"id": "cam", "url": "rtsp://x/1"}]}))
        status = serve_jobs.serve_status(folder.name)
        assert status.state == "crashed" and [h.state for h in status.health] == ["starting"]
        assert serve_jobs.stop_serve(folder.name)
        assert stranger.poll() is None  # still running: not ours to stop
        assert serve_jobs.serve_status(folder.name).state == "crashed"
    finally:
        stranger.kill()
        stranger.wait()


def test_a_cli_serve_is_announced_stays_listed_and_records_how_it_ended(home, pipeline, tmp_path):
    cameras = tmp_path / "cameras.yaml"
    cameras.write_text(f"pipeline: {pipeline.name}\ncameras:\n  - {{id: gate, url: 'rtsp://u:pw@10.0.0.5/s'}}\n")
    serve_id = serve_jobs.announce(tmp_path / "out", cameras, os.getpid())
    status = serve_jobs.serve_status(serve_id)
    assert (status.kind, status.state, status.local) == ("cli", "running", True)
    assert status.cameras == [{"id": "gate", "url": "rtsp://u:***@10.0.0.5/s"}]
    assert status.out == str((tmp_path / "out").resolve())
    serve_jobs.withdraw(serve_id, 0)
    info = json.loads((home / "serve" / serve_id / "info.json").read_text())
    assert info["exit_code"] == 0 and info["ended"]
    # a serve the app started announces itself under its own id (no second entry)
    app_out = home / "serve" / serve_id / "output"
    assert serve_jobs.announce(app_out, cameras, os.getpid()) == serve_id
    assert len(serve_jobs.list_serves()) == 1


def test_events_are_counted_per_camera_and_the_latest_come_first(home, tmp_path):
    folder = home / "serve" / "20260101-000000-abcd"
    (folder / "output").mkdir(parents=True)
    (folder / "info.json").write_text(json.dumps({"id": folder.name, "cameras": []}))
    events = folder / "output" / "events.jsonl"
    with events.open("w") as out:
        for i in range(5):
            out.write(json.dumps({"camera": "a" if i % 2 == 0 else "b", "n": i}) + "\n")
        out.write('{"camera": "a", "n"')  # a line still being written
    assert serve_jobs.event_counts(events) == {"a": 3, "b": 2}
    with events.open("a") as out:
        out.write(': 5}\n')
    assert serve_jobs.event_counts(events) == {"a": 4, "b": 2}
    assert [e["n"] for e in serve_jobs.latest_events(folder.name, "a", limit=3)] == [5, 4, 2]


@pytest.mark.slow  # starts a worker process
def test_a_serve_started_from_the_cli_is_listed_and_stopped_from_the_app(home, pipeline, traffic_clip, tmp_path):
    cameras = tmp_path / "cameras.yaml"
    cameras.write_text(yaml.safe_dump({"pipeline": pipeline.name, "output": "out",
                                       "cameras": [{"id": "gate", "url": str(traffic_clip)}]}))
    proc = subprocess.Popen([sys.executable, "-m", "workbench.apps.cli", "serve", str(cameras), "--quiet"],
                            cwd=tmp_path)
    try:
        wait_for(lambda: any(s.health and s.health[0].state == "connected" for s in serve_jobs.list_serves()), 60,
                 "the CLI serve listed")
        [listed] = serve_jobs.list_serves()
        assert listed.kind == "cli" and listed.out == str((tmp_path / "out").resolve())
        assert serve_jobs.stop_serve(listed.id) and proc.wait(5) == 0
        after = serve_jobs.serve_status(listed.id)
        assert (after.state, after.exit_code) == ("stopped", 0)
    finally:
        if proc.poll() is None:
            proc.kill()
