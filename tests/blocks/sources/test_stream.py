"""sources/stream@v1 on a file played as a live stream (frames carry their own index as bars), and on dead URLs."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
from pydantic import ValidationError
from services.ports import free_ports

from blocks.sources.stream import StreamConfig, StreamSource, StreamUnreachable
from workbench.core.errors import BlockError
from workbench.media.video_io import H264Writer

FPS = 25.0
N = 40  # 1.6 s of "camera"
W, H, BITS = 320, 64, 10
SLOW_S = 0.1  # a downstream that manages 10 fps, slower than the 25 fps camera


def bars(i: int):
    import numpy as np

    img = np.zeros((H, W, 3), dtype=np.uint8)
    for b in range(BITS):
        if i >> b & 1:
            img[:, b * 32:(b + 1) * 32] = 255
    return img


def read_bars(img) -> int:
    return sum(1 << b for b in range(BITS) if img[H // 2, b * 32 + 16, 1] > 127)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stream") / "bars.mp4"
    with H264Writer(path, FPS, (W, H), preset="ultrafast") as w:
        for i in range(N):
            w.write(bars(i))
    return path


def play_slowly(block: StreamSource) -> tuple[list, object]:
    live = []
    stream = block.open_live(live.append)
    frames = []
    for frame in stream.frames:
        frames.append(frame)
        time.sleep(SLOW_S)
    stream.close()
    return frames, live[0].health()


def test_latest_drops_what_piled_up_under_a_slow_pipeline_and_stays_live(clip):
    block = StreamSource(StreamConfig(url=str(clip), camera="gate-1", drop_policy="latest", buffer_frames=1), "src")
    frames, health = play_slowly(block)
    shown = [read_bars(f.image) for f in frames]
    assert len(frames) < N * 0.75 and health.dropped > 0
    assert health.frames_in == N and health.frames_out == len(frames) == N - health.dropped
    assert shown == sorted(shown) and shown[-1] == N - 1  # newest frames, in order, up to the last one
    assert [f.index for f in frames] == shown  # the index counts every frame read, so drops show as gaps
    assert health.lag_s < 2 * SLOW_S
    assert all(f.source == "gate-1" for f in frames)  # events of this stream name the camera


def test_every_processes_every_frame_in_order(clip):
    block = StreamSource(StreamConfig(url=str(clip), drop_policy="every", buffer_frames=2), "src")
    frames, health = play_slowly(block)
    assert [read_bars(f.image) for f in frames] == list(range(N))
    assert health.dropped == 0 and health.frames_out == N
    assert health.state == "eof" and not health.connected  # a file ends; only URLs are reconnected


def test_times_increase_and_follow_the_clock(clip):
    block = StreamSource(StreamConfig(url=str(clip), drop_policy="every"), "src")
    stream = block.open()
    frames = list(stream.frames)
    stream.close()
    pts = [f.pts for f in frames]
    assert all(b > a for a, b in itertools.pairwise(pts))
    assert pts[-1] == pytest.approx((N - 1) / FPS, abs=0.3)  # read in real time, like a camera
    assert all((f.wall_time - stream.start_time).total_seconds() == pytest.approx(f.pts, abs=1e-3) for f in frames)
    assert stream.fps == FPS and stream.frame_size == (W, H)


def test_dead_camera_is_retried_then_given_up_without_showing_the_password():
    (port,) = free_ports(1)
    url = f"rtsp://admin:secret@127.0.0.1:{port}/cam"
    block = StreamSource(StreamConfig(url=url, give_up_after_s=1.5, reconnect_initial_s=0.2, reconnect_max_s=0.4,
                                      read_timeout_s=1), "src")
    began = time.monotonic()
    with pytest.raises(StreamUnreachable) as err:
        block.open()
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("stream_unreachable", "src", "url")
    assert 1.5 <= time.monotonic() - began < 8
    health = err.value.health
    assert health.state == "gave_up" and not health.connected and health.frames_in == 0
    assert len(health.outages) == 1 and health.outages[0].end is None  # down since the first attempt, still down
    assert "secret" not in str(err.value) and "secret" not in health.url and "secret" not in health.last_error


def test_an_http_mjpeg_camera_delivers_every_frame_in_order(clip):
    from services.mjpeg_server import mjpeg_server

    with mjpeg_server(clip) as camera:
        block = StreamSource(StreamConfig(url=camera.url, drop_policy="every", buffer_frames=N, give_up_after_s=1,
                                          reconnect_initial_s=0.2, read_timeout_s=2), "src")
        live = []
        stream = block.open_live(live.append)
        frames = list(stream.frames)  # until the camera has played its clip and goes off
        stream.close()
    assert [read_bars(f.image) for f in frames] == list(range(N)) and stream.frame_size == (W, H)
    health = live[0].health()
    assert health.state == "gave_up" and health.frames_in == N and health.reconnects == 0


def test_missing_file_names_the_url_field(tmp_path):
    with pytest.raises(BlockError) as err:
        StreamSource(StreamConfig(url=str(tmp_path / "nope.mp4")), "src").open()
    assert (err.value.problems[0].code, err.value.problems[0].field) == ("source_missing", "url")


def test_settings_are_checked():
    with pytest.raises(ValidationError, match="reconnect_max_s"):
        StreamConfig(url="rtsp://x/y", reconnect_initial_s=5, reconnect_max_s=1)
    with pytest.raises(ValidationError):
        StreamConfig(url="rtsp://x/y", drop_policy="sometimes")
    with pytest.raises(ValidationError, match="rtsp_transport"):
        StreamConfig(url="rtsp://x/y", rtsp_transport="quic")
    assert StreamConfig(url="rtsp://x/y").rtsp_transport == "auto"
    assert all(f.description for f in StreamConfig.model_fields.values())


def test_workbench_run_on_a_stream_writes_its_health_and_hides_the_password(clip, tmp_path):
    from stream_support import counting_pipeline

    from workbench.engine.runner import RunOptions, run_pipeline
    from workbench.media.health import read_health

    spec = counting_pipeline({"type": "sources/stream@v1",
                              "config": {"url": str(clip), "camera": "gate-1", "drop_policy": "every"}})
    summary = run_pipeline(spec, RunOptions(out_dir=tmp_path / "run"))
    (health,) = read_health(tmp_path / "run" / "health.json")
    assert summary["status"] == "done" and health.frames_in == N and health.dropped == 0

    secret = "rtsp://admin:hunter2@127.0.0.1:9/cam"
    dead = counting_pipeline({"type": "sources/stream@v1",
                              "config": {"url": secret, "give_up_after_s": 0.5, "reconnect_initial_s": 0.1}})
    with pytest.raises(BlockError) as gave_up:
        run_pipeline(dead, RunOptions(out_dir=tmp_path / "dead"))
    assert "hunter2" not in str(gave_up.value.problems[0].params)
