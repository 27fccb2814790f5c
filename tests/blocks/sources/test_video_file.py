"""sources/video_file@v1 on real H.264 files whose frames carry their own index as black/white bars."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from blocks.sources.video_file import SEEK_AFTER, VideoFile, VideoFileConfig
from workbench.core.errors import BlockError
from workbench.media.video_io import H264Writer

FPS = 25.0
W, H = 320, 64
BITS = 10


def bars(i: int) -> np.ndarray:
    """A frame showing `i` in binary: bar b is white when bit b is set."""
    img = np.zeros((H, W, 3), dtype=np.uint8)
    for b in range(BITS):
        if i >> b & 1:
            img[:, b * 32:(b + 1) * 32] = 255
    return img


def read_bars(img: np.ndarray) -> int:
    return sum(1 << b for b in range(BITS) if img[H // 2, b * 32 + 16, 1] > 127)


def write_video(path: Path, n: int) -> Path:
    with H264Writer(path, FPS, (W, H), preset="ultrafast") as w:
        for i in range(n):
            w.write(bars(i))
    return path


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    return write_video(tmp_path_factory.mktemp("v") / "clip.mp4", 60)


def open_source(**cfg):
    return VideoFile(VideoFileConfig(**cfg), node_id="src").open()


def test_plays_every_frame_with_index_time_and_read_only_pixels(video):
    stream = open_source(path=str(video))
    frames = list(stream.frames)
    stream.close()
    assert stream.frame_count == 60 and len(frames) == 60
    assert stream.fps == FPS and stream.frame_size == (W, H)
    assert [f.index for f in frames] == list(range(60))
    assert [read_bars(f.image) for f in frames] == list(range(60))
    assert frames[30].pts == pytest.approx(30 / FPS)
    assert not frames[0].image.flags.writeable
    assert stream.stopped_early is None


def test_stride_start_end_pick_the_window(video):
    stream = open_source(path=str(video), stride=3, start=0.4, end=1.6)  # frames 10..39, every third
    frames = list(stream.frames)
    expected = list(range(10, 40, 3))
    assert [f.index for f in frames] == expected
    assert [read_bars(f.image) for f in frames] == expected
    assert stream.frame_count == len(expected)
    assert stream.fps == pytest.approx(FPS / 3)  # the rate of the frames the stream delivers
    assert [f.pts for f in frames] == pytest.approx([i / FPS for i in expected])


def test_long_skip_seeks_to_the_exact_frame(tmp_path):
    path = write_video(tmp_path / "long.mp4", SEEK_AFTER + 80)
    start = (SEEK_AFTER + 30) / FPS
    frames = list(open_source(path=str(path), start=start, end=start + 1.0).frames)
    assert [f.index for f in frames] == list(range(SEEK_AFTER + 30, SEEK_AFTER + 55))
    assert [read_bars(f.image) for f in frames] == [f.index for f in frames]


def test_wall_time_defaults_to_file_mtime_and_follows_start_time(video, tmp_path):
    mtime = datetime(2026, 3, 1, 8, 30, tzinfo=timezone.utc).timestamp()
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(video.read_bytes())
    os.utime(copy, (mtime, mtime))
    stream = open_source(path=str(copy), start=1.0, end=1.2)
    first = next(stream.frames)
    assert stream.start_time.timestamp() == pytest.approx(mtime)
    assert first.wall_time.timestamp() == pytest.approx(mtime + 1.0)

    clock = datetime(2026, 11, 23, 7, 0, 0)
    frames = list(open_source(path=str(video), start_time=clock, end=2.0).frames)
    assert frames[0].wall_time == clock
    assert frames[25].wall_time == clock + timedelta(seconds=1)


def test_missing_file_names_node_and_path(tmp_path):
    block = VideoFile(VideoFileConfig(path=str(tmp_path / "nope.mp4")), node_id="cam")  # constructing reads nothing
    with pytest.raises(BlockError) as err:
        block.open()
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("source_missing", "cam", "path")


def test_file_that_is_not_a_video(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video")
    with pytest.raises(BlockError) as err:
        open_source(path=str(path))
    assert (err.value.problems[0].code, err.value.problems[0].field) == ("source_not_video", "path")


def test_start_after_the_end_of_the_video(video):
    with pytest.raises(BlockError) as err:
        open_source(path=str(video), start=10.0)
    assert (err.value.problems[0].code, err.value.problems[0].field) == ("source_start_beyond_end", "start")


def test_end_must_be_after_start():
    with pytest.raises(ValidationError) as err:
        VideoFileConfig(path="a.mp4", start=5.0, end=2.0)
    assert err.value.errors()[0]["loc"] == ("end",)


def test_truncated_file_keeps_frames_and_says_it_stopped_early(tmp_path):
    whole = write_video(tmp_path / "whole.mp4", 120)
    cut = tmp_path / "cut.mp4"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    stream = open_source(path=str(cut))
    frames = list(stream.frames)
    stream.close()
    assert stream.frame_count == 120  # the container still claims every frame
    assert 0 < len(frames) < 110
    assert [read_bars(f.image) for f in frames] == list(range(len(frames)))
    assert stream.stopped_early  # a sentence the runner puts in summary.json


def test_close_releases_the_capture(video):
    stream = open_source(path=str(video))
    assert next(stream.frames).index == 0
    stream.close()
    assert list(stream.frames) == []
