"""HTTP MJPEG cameras (multipart/x-mixed-replace JPEG, as many cheap IP cameras serve) through sources/stream@v1:
counts match the clip's truth, a camera cut mid-stream is reconnected, and a password in the URL never leaks."""

from __future__ import annotations

import itertools
import json
import threading
import time
from pathlib import Path

import pytest
from services.mjpeg_server import mjpeg_server
from stream_support import counting_pipeline, read_events, wait_for

from blocks.sources.stream import StreamConfig, StreamSource
from workbench.core.errors import BlockError
from workbench.engine.runner import RunOptions, run_pipeline
from workbench.media.health import read_health

PASSWORD = "Tr4ffic-s3cret"
ENDS = {"drop_policy": "every", "buffer_frames": 50, "reconnect_initial_s": 0.2, "reconnect_max_s": 0.5,
        "read_timeout_s": 2.0, "give_up_after_s": 1.5}  # the camera is off once its clip has played: the run ends
MAX_LAG_FRAMES = 6  # a crossing is reported once the tracker has seen the vehicle past the line (on the file too)


def crossings(events: list[dict], frame_key: str) -> list[tuple[int, str]]:
    return [(e[frame_key], e["direction"]) for e in events if e["type"] == "line_crossing"]


def run_in_background(spec, out: Path) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def target() -> None:
        try:
            result["summary"] = run_pipeline(spec, RunOptions(out_dir=out))
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, result


@pytest.mark.slow
def test_counts_on_an_mjpeg_camera_match_the_truth_and_the_password_never_shows(traffic_clip, tmp_path):
    truth = json.loads(traffic_clip.with_suffix(".truth.json").read_text())
    expected = crossings([e for e in truth["events"] if e["region"] == "count_line"], "frame")
    with mjpeg_server(traffic_clip, user="admin", password=PASSWORD) as camera:
        spec = counting_pipeline({"type": "sources/stream@v1", "config": {"url": camera.url, **ENDS}})
        summary = run_pipeline(spec, RunOptions(out_dir=tmp_path / "run"))
    assert camera.refused >= 1  # FFmpeg asked without credentials first: the basic-auth path was really used

    got = crossings(read_events(tmp_path / "run" / "events.jsonl"), "frame")
    assert [d for _, d in got] == [d for _, d in expected]
    assert all(0 <= f - t <= MAX_LAG_FRAMES for (f, _), (t, _) in zip(got, expected, strict=True))
    assert summary["outputs"]["count_line"] == {"in": 7, "out": 7} == {
        d: sum(1 for _, x in expected if x == d) for d in ("in", "out")}

    (health,) = read_health(tmp_path / "run" / "health.json")
    assert health.frames_in == truth["frames"] and health.dropped == 0 and health.state == "gave_up"
    for name in ("summary.json", "events.jsonl", "health.json"):  # they name the camera, without its password
        assert "admin:***@127.0.0.1" in (tmp_path / "run" / name).read_text(encoding="utf-8"), name
    leaks = [p.name for p in (tmp_path / "run").rglob("*") if p.is_file() and PASSWORD.encode() in p.read_bytes()]
    assert leaks == []


def test_the_frame_rate_of_an_mjpeg_camera_is_measured(tmp_path):
    """MJPEG over HTTP carries no timing (OpenCV reports 25 fps for any camera): recordings would play too fast."""
    import numpy as np

    from workbench.media.video_io import H264Writer

    clip = tmp_path / "ten_fps.mp4"
    with H264Writer(clip, 10.0, (160, 96), preset="ultrafast") as w:
        for i in range(30):
            w.write(np.full((96, 160, 3), 20 + 7 * i, dtype=np.uint8))
    with mjpeg_server(clip) as camera:
        stream = StreamSource(StreamConfig(url=camera.url, **ENDS), "src").open()
        frames = list(stream.frames)
        stream.close()
    assert stream.fps == pytest.approx(10, rel=0.1)
    assert [round((f.image.mean() - 20) / 7) for f in frames] == list(range(30))  # every frame once, in order
    gaps = [b.pts - a.pts for a, b in itertools.pairwise(frames)]
    assert sum(gaps) / len(gaps) == pytest.approx(0.1, rel=0.15)  # times are read times, not 1/25 s apart


def test_a_wrong_password_is_reported_without_showing_it(traffic_clip, tmp_path):
    with mjpeg_server(traffic_clip, user="admin", password=PASSWORD) as camera:
        url = camera.url.replace(PASSWORD, "guess-1234")
        spec = counting_pipeline({"type": "sources/stream@v1", "config": {"url": url, **ENDS}})
        with pytest.raises(BlockError) as err:
            run_pipeline(spec, RunOptions(out_dir=tmp_path / "run"))
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("stream_unreachable", "src", "url")
    assert "guess-1234" not in str(err.value) and camera.refused >= 2
    assert camera.began is None  # not a single frame was sent


@pytest.mark.slow
def test_an_mjpeg_camera_cut_mid_stream_is_reconnected_and_counting_goes_on(traffic_clip, tmp_path):
    out = tmp_path / "run"
    events_file = out / "events.jsonl"
    with mjpeg_server(traffic_clip) as camera:
        spec = counting_pipeline({"type": "sources/stream@v1", "config": {"url": camera.url, "camera": "gate-2",
                                                                          **ENDS}})
        thread, result = run_in_background(spec, out)
        wait_for(lambda: len(read_events(events_file)) >= 2, 30, "events before the cut")
        before = read_events(events_file)
        camera.stop()
        cut = time.monotonic()
        wait_for(lambda: bool(read_health(out / "health.json")) and not read_health(out / "health.json")[0].connected,
                 10, "the drop to be noticed")
        time.sleep(max(0.0, 1.0 - (time.monotonic() - cut)))
        camera.start()  # live: the clock ran on, so what happened during the cut is missed
        wait_for(lambda: read_health(out / "health.json")[0].reconnects >= 1, 15, "the reconnect")
        thread.join(timeout=40)  # the clip ends, the camera goes off, the stream is given up
    assert not thread.is_alive() and "error" not in result, result.get("error")

    events = read_events(events_file)
    assert events[:len(before)] == before
    after = events[len(before):]
    assert after and after[0]["frame"] > before[-1]["frame"] and all(e["source"] == "gate-2" for e in events)
    counted = result["summary"]["outputs"]["count_line"]
    assert counted["in"] + counted["out"] == len(events)  # one pipeline state across the cut: the count went on
    assert result["summary"]["status"] == "stopped_early"
    (health,) = read_health(out / "health.json")
    assert health.reconnects >= 1 and health.outages[0].end is not None and 0.5 < health.outages[0].seconds < 10
