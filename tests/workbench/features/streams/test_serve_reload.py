"""`workbench serve` reads its cameras file again: added cameras start, removed ones stop, changed ones restart,
the others run on untouched; a broken file changes nothing that runs. In-process, then the real CLI process (SIGHUP;
without --no-reload a change on disk)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import pytest
import yaml
from stream_support import counting_pipeline, wait_for

from workbench.features.streams.cameras import load_serve_file
from workbench.features.streams.serve import Server
from workbench.media.health import read_health, read_serve_state

LINE = {"start": [320, 140], "end": [320, 265]}


@pytest.fixture(scope="session")
def long_clip(traffic_clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 20 s traffic clip three times over (60 s): cameras played in real time outlast a test."""
    out = tmp_path_factory.mktemp("long") / "traffic_x3.mp4"
    cap = cv2.VideoCapture(str(traffic_clip))
    frames = []
    while (got := cap.read())[0]:
        frames.append(got[1])
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), cap.get(cv2.CAP_PROP_FPS), (w, h))
    for frame in frames * 3:
        writer.write(frame)
    writer.release()
    return out


def write_files(folder: Path, cameras: list[dict], line: dict | None = None) -> Path:
    """count.yaml (the counting pipeline, its line at `line`) and cameras.yaml naming it."""
    spec = counting_pipeline({"type": "sources/video_file@v1", "config": {"path": "replaced by serve"}})
    spec = spec.with_config("count_line", **(line or LINE))
    (folder / "count.yaml").write_text(spec.to_yaml(), encoding="utf-8")
    path = folder / "cameras.yaml"
    path.write_text(yaml.safe_dump({"pipeline": "count.yaml", "output": "out", "health_every_s": 1,
                                    "cameras": cameras}), encoding="utf-8")
    return path


def running(server: Server, camera: str) -> bool:
    run = next((r for r in server.runs if r.cam.id == camera), None)
    return run is not None and run.health().frames_out > 10


def test_reload_starts_added_stops_removed_restarts_changed_and_leaves_the_rest(long_clip, tmp_path):
    cam = {"url": str(long_clip)}
    path = write_files(tmp_path, [{"id": "keep", **cam}, {"id": "change", **cam}, {"id": "remove", **cam}])
    server = Server.from_file(load_serve_file(path), tmp_path, path=path).start()
    try:
        wait_for(lambda: all(running(server, c) for c in ("keep", "change", "remove")), 30, "three cameras")
        keep, change, remove = server.runs
        keep_thread, frames_before = keep.thread, keep.health().frames_out
        wait_for(lambda: keep.events > 0, 20, "a first event of the camera that stays")
        events_before = keep.events
        write_files(tmp_path, [{"id": "keep", **cam}, {"id": "add", **cam},
                               {"id": "change", **cam, "site": {"count_line": {"start": [300, 140]}}}])
        plan = server.reload()
        assert plan.applied and (plan.start, plan.stop, plan.restart, plan.keep) == (
            ["add"], ["remove"], ["change"], ["keep"])
        assert [r.cam.id for r in server.runs] == ["keep", "add", "change"]
        assert server.runs[0] is keep and keep.thread is keep_thread and keep.alive()  # untouched
        assert keep.health().frames_out >= frames_before and keep.events >= events_before  # counts went on
        assert server.runs[2] is not change and not change.alive() and not remove.alive()
        wait_for(lambda: running(server, "add") and running(server, "change"), 30, "the added and changed cameras")
        state = read_serve_state(tmp_path / "out" / "serve.json")
        assert state.reloads == 1 and not state.reload_error
        wait_for(lambda: {h.camera for h in read_health(tmp_path / "out" / "health.json")} == {"keep", "add", "change"},
                 5, "health.json without the removed camera")
    finally:
        server.stop()
    assert change.status == "stopped" and remove.status == "stopped"
    assert (tmp_path / "out" / "remove" / "summary.json").exists()  # a removed camera's files are kept
    previous = tmp_path / "out" / "change" / "previous-runs" / "0001"
    assert json.loads((previous / "summary.json").read_text())["frames"] > 0  # the changed camera's first run is kept
    summary = json.loads((tmp_path / "out" / "change" / "summary.json").read_text())
    assert summary["outputs"]["count_line"]  # the new run wrote its own summary
    assert keep.restarts == 0 and read_health(tmp_path / "out" / "keep" / "health.json")[0].restarts == 0


def test_a_broken_cameras_file_or_pipeline_changes_nothing_and_is_reported(long_clip, tmp_path):
    path = write_files(tmp_path, [{"id": "gate-1", "url": str(long_clip)}])
    good = path.read_text()
    server = Server.from_file(load_serve_file(path), tmp_path, path=path).start()
    try:
        wait_for(lambda: running(server, "gate-1"), 30, "the camera")
        run, thread = server.runs[0], server.runs[0].thread
        path.write_text("pipeline: count.yaml\ncameras: [ {id: gate-1, url: x\n")  # a YAML error
        assert server.reload().problems[0].code == "serve_file_invalid"
        path.write_text(good.replace("count.yaml", "missing.yaml"))
        assert server.reload().problems[0].code == "spec_missing"
        path.write_text(yaml.safe_dump({**yaml.safe_load(good), "cameras": [
            {"id": "gate-1", "url": str(long_clip), "site": {"count_line": {"start": "left"}}}]}))
        (problem,) = server.reload().problems
        assert (problem.node, problem.field) == ("gate-1/count_line", "config.start")  # camera, node, field
        state = read_serve_state(tmp_path / "out" / "serve.json")
        assert state.reloads == 0 and state.reload_error[0]["node"] == "gate-1/count_line"
        assert state.reload_error[0]["message"]
        path.write_text(good)
        (tmp_path / "count.yaml").write_text("nodes: [oops")
        assert server.reload().problems[0].code == "spec_yaml"
        assert server.runs == [run] and run.thread is thread and run.alive() and run.status == "running"
        assert run.restarts == 0
        write_files(tmp_path, [{"id": "gate-1", "url": str(long_clip)}], line={"start": [330, 140], "end": [330, 265]})
        plan = server.reload()  # fixed: a changed pipeline restarts every camera
        assert plan.applied and plan.restart == ["gate-1"]
        assert read_serve_state(tmp_path / "out" / "serve.json").reload_error == []
        wait_for(lambda: running(server, "gate-1"), 30, "the camera on the new pipeline")
        count_line = next(n for n in server.runs[0].compiled.spec.nodes if n.id == "count_line")
        assert count_line.config["start"] == [330, 140]
    finally:
        server.stop()


# -- the real CLI process --------------------------------------------------------------------------------------------
REPO = Path(__file__).parents[4]


@contextmanager
def serve(cameras: Path, *flags: str) -> Iterator[subprocess.Popen]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "workbench.apps.cli", "serve", str(cameras), "--quiet", *flags],
                            cwd=cameras.parent, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)


def frames(out: Path) -> dict[str, int]:
    return {h.camera: h.frames_out for h in read_health(out / "health.json")}


def test_sighup_reloads_and_no_reload_ignores_changes_on_disk(long_clip, tmp_path):
    cameras = write_files(tmp_path, [{"id": "a", "url": str(long_clip)}])
    out = tmp_path / "out"
    with serve(cameras, "--no-reload") as proc:
        wait_for(lambda: frames(out).get("a", 0) > 10 or proc.poll() is not None, 30, "camera a")
        write_files(tmp_path, [{"id": "a", "url": str(long_clip)}, {"id": "b", "url": str(long_clip)}])
        time.sleep(3)  # longer than the polling period: nothing happens with --no-reload
        assert set(frames(out)) == {"a"} and read_serve_state(out / "serve.json").reloads == 0
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: frames(out).get("b", 0) > 10 or proc.poll() is not None, 30, "camera b after SIGHUP")
        assert read_serve_state(out / "serve.json").reloads == 1
        assert frames(out)["a"] > 20  # a ran on through the reload
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    (line,) = [x for x in stdout.splitlines() if "reloaded" in x]  # one line per reload
    assert "b" in line
    assert {h.camera: h.restarts for h in read_health(out / "health.json")} == {"a": 0, "b": 0}


def test_a_pipeline_change_on_disk_is_refused_while_broken_then_applied(long_clip, tmp_path):
    cameras = write_files(tmp_path, [{"id": "a", "url": str(long_clip)}])
    out = tmp_path / "out"
    pipeline = tmp_path / "count.yaml"
    good = yaml.safe_load(pipeline.read_text())
    with serve(cameras) as proc:
        wait_for(lambda: frames(out).get("a", 0) > 10 or proc.poll() is not None, 30, "camera a")
        broken = {**good, "nodes": [{**n, "config": {**n["config"], "start": "left"}} if n["id"] == "count_line" else n
                                    for n in good["nodes"]]}
        pipeline.write_text(yaml.safe_dump(broken))
        wait_for(lambda: (read_serve_state(out / "serve.json").reload_error or proc.poll() is not None), 10,
                 "the refused reload")
        (problem,) = read_serve_state(out / "serve.json").reload_error
        assert (problem["node"], problem["field"]) == ("count_line", "config.start")
        running = frames(out)["a"]
        time.sleep(1.5)
        assert frames(out)["a"] > running and not (out / "a" / "previous-runs").exists()  # a was not touched
        moved = {**good, "nodes": [{**n, "config": {**n["config"], "start": [330, 140], "end": [330, 265]}}
                                   if n["id"] == "count_line" else n for n in good["nodes"]]}
        pipeline.write_text(yaml.safe_dump(moved))
        wait_for(lambda: read_serve_state(out / "serve.json").reloads == 1 or proc.poll() is not None, 10,
                 "the applied reload")
        assert read_serve_state(out / "serve.json").reload_error == []
        wait_for(lambda: (out / "a" / "previous-runs" / "0001" / "summary.json").exists(), 10, "a's restart")
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "count_line.config.start" in stderr  # the refused reload was printed, naming the field
    assert len([x for x in stdout.splitlines() if "reloaded" in x]) == 1


def test_the_output_folder_cannot_move_while_serve_runs(tmp_path):
    path = write_files(tmp_path, [{"id": "a", "url": "rtsp://127.0.0.1:9/never"}])
    server = Server.from_file(load_serve_file(path), tmp_path, path=path).start()
    try:
        path.write_text(path.read_text().replace("output: out", "output: elsewhere"))
        (problem,) = server.reload().problems
        assert (problem.code, problem.field) == ("serve_reload_output", "output")
        assert server.runs[0].alive() and server.out_root == tmp_path / "out"
    finally:
        server.stop()
