"""`workbench serve`: two cameras, one of them dead; the live one's events keep flowing; SIGTERM stops both cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from services.ports import free_ports
from services.rtsp import rtsp_server
from stream_support import counting_pipeline, read_events, wait_for

from workbench.core.errors import WorkbenchError
from workbench.features.streams.cameras import load_serve_file
from workbench.features.streams.serve import Server
from workbench.media.health import read_health

REPO = Path(__file__).parents[4]


def write_cameras(folder: Path, cameras: list[dict]) -> Path:
    spec = counting_pipeline({"type": "sources/video_file@v1", "config": {"path": "replaced by serve"}})
    (folder / "count.yaml").write_text(spec.to_yaml(), encoding="utf-8")
    path = folder / "cameras.yaml"
    path.write_text(yaml.safe_dump({"pipeline": "count.yaml", "output": "out", "health_every_s": 1,
                                    "cameras": cameras}), encoding="utf-8")
    return path


@pytest.mark.slow
def test_a_dead_camera_does_not_stop_the_live_one_and_sigterm_stops_both(traffic_clip, tmp_path):
    (dead_port,) = free_ports(1)
    with rtsp_server(traffic_clip, tmp_path / "rtsp") as camera:
        cameras = write_cameras(tmp_path, [
            {"id": "live", "url": camera.url},
            {"id": "dead", "url": f"rtsp://127.0.0.1:{dead_port}/cam",
             "site": {"src": {"reconnect_initial_s": 0.2, "reconnect_max_s": 0.5, "read_timeout_s": 1}}}])
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen([sys.executable, "-m", "workbench.apps.cli", "serve", str(cameras)], cwd=tmp_path,
                                text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        try:
            wait_for(lambda: len(read_events(tmp_path / "out" / "events.jsonl")) >= 2 or proc.poll() is not None, 45,
                     "events from the live camera")
            health = {h.camera: h for h in read_health(tmp_path / "out" / "health.json")}
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, err
    assert health["live"].connected and health["live"].frames_out > 0
    assert not health["dead"].connected and health["dead"].state == "connecting" and health["dead"].frames_in == 0
    assert health["dead"].last_error and health["dead"].outages[0].end is None
    events = read_events(tmp_path / "out" / "events.jsonl")
    assert {e["camera"] for e in events} == {"live"} and all(e["source"] == "live" for e in events)
    assert read_events(tmp_path / "out" / "live" / "events.jsonl") == [
        {k: v for k, v in e.items() if k != "camera"} for e in events]  # the camera's own sink got the same events
    assert (tmp_path / "out" / "live" / "summary.json").exists()  # stopped cleanly: the run wrote its summary
    final = {h.camera: h.state for h in read_health(tmp_path / "out" / "health.json")}
    assert final == {"live": "stopped", "dead": "stopped"}
    assert "live" in out and "dead" in out  # the health table


def test_cameras_file_mistakes_name_the_field(tmp_path):
    bad = tmp_path / "cameras.yaml"
    bad.write_text("pipeline: p.yaml\ncameras:\n  - {id: a, url: rtsp://x/1}\n  - {id: a, url: rtsp://x/2}\n")
    with pytest.raises(WorkbenchError) as err:
        load_serve_file(bad)
    assert (err.value.problems[0].code, err.value.problems[0].field) == ("serve_file_invalid", "cameras")

    cameras = write_cameras(tmp_path, [{"id": "a", "url": "rtsp://x/1", "site": {"no_such_node": {"x": 1}}}])
    with pytest.raises(WorkbenchError) as err:
        Server.from_file(load_serve_file(cameras), tmp_path).start()
    assert (err.value.problems[0].code, err.value.problems[0].node) == ("serve_unknown_node", "no_such_node")
