"""A real RTSP camera (Debian's GStreamer RTSP server) is cut mid-stream and comes back: the pipeline goes on."""

from __future__ import annotations

import json
import time

import pytest
from services.rtsp import rtsp_server
from stream_support import counting_pipeline, read_events, wait_for

from workbench.features.streams.cameras import CameraEntry
from workbench.features.streams.serve import Server
from workbench.media.health import read_health

OUTAGE_S = 2.0
FAST_RECONNECT = {"reconnect_initial_s": 0.2, "reconnect_max_s": 1.0, "read_timeout_s": 2.0, "give_up_after_s": 3.0}


@pytest.mark.slow
def test_camera_cut_mid_stream_reconnects_and_keeps_every_event(traffic_clip, tmp_path):
    spec = counting_pipeline({"type": "sources/video_file@v1", "config": {"path": "replaced by serve"}})
    with rtsp_server(traffic_clip, tmp_path / "rtsp") as camera:
        cam = CameraEntry(id="gate-1", url=camera.url, site={"src": FAST_RECONNECT})
        server = Server(spec, [cam], tmp_path / "out").start()
        run = server.runs[0]
        events_file = tmp_path / "out" / "gate-1" / "events.jsonl"
        wait_for(lambda: len(read_events(events_file)) >= 2, 40, "events before the cut")
        before = read_events(events_file)
        camera.kill()
        cut = time.monotonic()
        wait_for(lambda: not run.health().connected, 10, "the drop to be noticed")
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - cut)))
        camera.start()
        wait_for(lambda: run.health().reconnects >= 1, 20, "the reconnect")
        wait_for(lambda: len(read_events(events_file)) >= len(before) + 2, 40, "events after the reconnect")
        camera.kill()  # for good: the stream is given up after 3 s and the run ends by itself
        assert server.wait(30)
        server.stop()

    events = read_events(events_file)
    assert events[:len(before)] == before  # nothing from before the cut was lost or rewritten
    after = events[len(before):]
    assert after and after[0]["pts"] > before[-1]["pts"] + OUTAGE_S - 0.5  # times went on through the outage
    assert all(e["source"] == "gate-1" for e in events)
    summary = json.loads((tmp_path / "out" / "gate-1" / "summary.json").read_text())
    counted = summary["outputs"]["count_line"]
    assert counted["in"] + counted["out"] == len(events)  # one pipeline, one state: the count was never reset
    assert summary["status"] == "stopped_early" and summary["camera"] == "gate-1"

    (health,) = read_health(tmp_path / "out" / "gate-1" / "health.json")
    assert health.reconnects >= 1 and health.state == "gave_up" and not health.connected
    outage = health.outages[0]
    assert outage.end is not None and OUTAGE_S - 0.5 < outage.seconds < OUTAGE_S + 10
    assert health.outages[-1].end is None  # the final cut, never recovered
    assert [h.camera for h in read_health(tmp_path / "out" / "health.json")] == ["gate-1"]
