"""RTSP transport per camera: a camera that only speaks TCP (or only UDP) is reached with the right setting, refused
with the wrong one, and cameras with different settings opened at the same time each get their own."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from services.rtsp import rtsp_server
from services.rtsp_udp_firewall import udp_firewall

from blocks.sources.stream import StreamConfig, StreamSource, StreamUnreachable
from workbench.core.errors import BlockError
from workbench.media.ffmpeg_options import ENV, capture_options, merged
from workbench.media.video_io import H264Writer

FAST = {"reconnect_initial_s": 0.2, "reconnect_max_s": 0.5, "read_timeout_s": 3.0, "give_up_after_s": 1.5}


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    import numpy as np

    path = tmp_path_factory.mktemp("transport") / "grey.mp4"
    with H264Writer(path, 25.0, (160, 96), preset="ultrafast") as w:
        for i in range(75):
            w.write(np.full((96, 160, 3), 3 * i, dtype=np.uint8))
    return path


def first_frames(url: str, transport: str, n: int = 5) -> tuple[list, object]:
    """Open a stream source with `transport` and read `n` frames (raises BlockError when it cannot connect)."""
    block = StreamSource(StreamConfig(url=url, rtsp_transport=transport, **FAST), "src")
    live = []
    stream = block.open_live(live.append)
    frames = []
    for frame in stream.frames:
        frames.append(frame)
        if len(frames) == n:
            break
    stream.close()
    return frames, live[0].health()


def refused(url: str, transport: str, **settings: float) -> tuple[BlockError, object]:
    block = StreamSource(StreamConfig(url=url, rtsp_transport=transport, **{**FAST, **settings}), "src")
    with pytest.raises(StreamUnreachable) as err:
        block.open()
    return err.value, err.value.health


@pytest.mark.parametrize(("server", "works", "fails"), [("tcp", "tcp", "udp"), ("udp", "udp", "tcp")])
def test_a_camera_limited_to_one_transport_needs_that_setting(clip, tmp_path, monkeypatch, server, works, fails):
    monkeypatch.setenv(ENV, "max_delay;500000")  # the user's own FFmpeg options must survive
    with rtsp_server(clip, tmp_path / "rtsp", protocols=server) as camera:
        frames, health = first_frames(camera.url, works)
        assert len(frames) == 5 and health.frames_in >= 5 and frames[0].image.shape == (96, 160, 3)

        err, health = refused(camera.url, fails)
        problem = err.problems[0]
        assert (problem.code, problem.field) == ("stream_unreachable", "url")
        assert health.state == "gave_up" and health.frames_in == 0 and fails.upper() in health.last_error

        began = time.monotonic()
        frames, health = first_frames(camera.url, "auto")  # the library's default finds the other transport
        assert len(frames) == 5 and time.monotonic() - began < 5
    assert os.environ[ENV] == "max_delay;500000"


def test_behind_a_firewall_that_drops_udp_tcp_and_auto_get_frames_and_udp_is_reported(clip, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "max_delay;500000")  # options without a transport: FFmpeg alone would try UDP and wait
    with rtsp_server(clip, tmp_path / "rtsp") as camera, udp_firewall(camera.port) as port:
        url = f"rtsp://127.0.0.1:{port}/cam"
        assert len(first_frames(url, "tcp")[0]) == 5
        err, health = refused(url, "udp", read_timeout_s=1.0)  # the camera accepts UDP; its packets never arrive
        assert err.problems[0].code == "stream_unreachable" and "UDP" in health.last_error
        assert health.frames_in == 0
        began = time.monotonic()
        assert len(first_frames(url, "auto")[0]) == 5  # TCP first
        assert time.monotonic() - began < 5


def test_the_camera_setting_wins_over_a_global_transport_and_auto_keeps_it(clip, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "rtsp_transport;udp")  # someone forced UDP for the whole process
    with rtsp_server(clip, tmp_path / "rtsp", protocols="tcp") as camera:
        frames, _ = first_frames(camera.url, "tcp")
        assert len(frames) == 5
        err, _ = refused(camera.url, "auto")  # auto leaves the user's choice alone
        assert err.problems[0].code == "stream_unreachable"
    assert os.environ[ENV] == "rtsp_transport;udp"


def test_cameras_opened_at_once_keep_their_own_transport(clip, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    with rtsp_server(clip, tmp_path / "rtsp", protocols="tcp") as camera:
        results: dict[str, object] = {}

        def open_camera(name: str, transport: str) -> None:
            try:
                results[name] = len(first_frames(camera.url, transport)[0])
            except BlockError as exc:
                results[name] = exc.problems[0].code

        threads = [threading.Thread(target=open_camera, args=(f"{tr}{i}", tr))
                   for i in range(2) for tr in ("tcp", "udp")]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=30)
    assert results == {"tcp0": 5, "udp0": "stream_unreachable", "tcp1": 5, "udp1": "stream_unreachable"}
    assert ENV not in os.environ


def test_opens_with_the_same_options_run_together_and_others_wait(monkeypatch):
    """A dead camera's open can take seconds: same-setting opens share the environment instead of queueing."""
    monkeypatch.setenv(ENV, "max_delay;1")
    inside = threading.Event()
    log: list[str] = []

    def hold(transport: str, name: str, seconds: float) -> None:
        with capture_options(transport) as value:
            log.append(f"{name} in {value}")
            inside.set()
            time.sleep(seconds)
            log.append(f"{name} out")

    first = threading.Thread(target=hold, args=("tcp", "a", 0.6))
    first.start()
    inside.wait(5)
    began = time.monotonic()
    hold("tcp", "b", 0.0)  # joins while a is still inside
    assert time.monotonic() - began < 0.3
    hold("udp", "c", 0.0)  # waits until a is done
    first.join()
    assert log == ["a in max_delay;1|rtsp_transport;tcp", "b in max_delay;1|rtsp_transport;tcp", "b out", "a out",
                   "c in max_delay;1|rtsp_transport;udp", "c out"]
    assert os.environ[ENV] == "max_delay;1"


def test_merging_keeps_the_users_options():
    assert merged(None, "tcp") == "rtsp_transport;tcp"
    assert merged("rtsp_transport;udp|max_delay;0", "tcp") == "max_delay;0|rtsp_transport;tcp"
    assert merged(None, "auto") is None  # OpenCV's own default: TCP first
    assert merged("max_delay;0", "auto") == "max_delay;0|rtsp_flags;prefer_tcp"
    assert merged("rtsp_transport;udp", "auto") == "rtsp_transport;udp"
