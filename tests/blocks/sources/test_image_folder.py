"""sources/image_folder@v1 on folders of PNG files whose pixels carry their own number."""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from blocks.sources.image_folder import ImageFolder, ImageFolderConfig
from workbench.core.errors import BlockError

W, H = 48, 32


def image(value: int, size: tuple[int, int] = (W, H)) -> np.ndarray:
    return np.full((size[1], size[0], 3), value, dtype=np.uint8)


def write(path: Path, value: int, size: tuple[int, int] = (W, H)) -> Path:
    assert cv2.imwrite(str(path), image(value, size))
    return path


def open_source(**cfg):
    return ImageFolder(ImageFolderConfig(**cfg), node_id="imgs").open()


@pytest.fixture
def folder(tmp_path) -> Path:
    """img1.png .. img12.png holding values 10, 20, ... 120, plus a file that is not an image."""
    for i in range(1, 13):
        write(tmp_path / f"img{i}.png", 10 * i)
    (tmp_path / "readme.txt").write_text("not an image")
    return tmp_path


def test_plays_images_in_natural_name_order(folder):
    stream = open_source(path=str(folder), fps=2.0)
    frames = list(stream.frames)
    assert [int(f.image[0, 0, 0]) for f in frames] == [10 * i for i in range(1, 13)]  # img2 before img10
    assert [f.index for f in frames] == list(range(12))
    assert frames[3].pts == pytest.approx(1.5)
    assert stream.frame_count == 12 and stream.frame_size == (W, H) and stream.fps == 2.0
    assert not frames[0].image.flags.writeable
    assert frames[0].source.endswith("img1.png")


def test_stride_start_end(folder):
    stream = open_source(path=str(folder), fps=2.0, stride=2, start=1.0, end=5.0)  # indices 2..9, every other
    frames = list(stream.frames)
    assert [f.index for f in frames] == [2, 4, 6, 8]
    assert [int(f.image[0, 0, 0]) for f in frames] == [30, 50, 70, 90]
    assert stream.frame_count == 4


def test_patterns_are_case_insensitive_and_choose_files(tmp_path):
    write(tmp_path / "A_1.PNG", 50)
    write(tmp_path / "B_1.png", 60)
    frames = list(open_source(path=str(tmp_path), patterns=["a_*.png"]).frames)
    assert [int(f.image[0, 0, 0]) for f in frames] == [50]


def test_unreadable_image_is_skipped_and_logged(folder, caplog):
    (folder / "img5.png").write_bytes(b"broken")
    with caplog.at_level(logging.WARNING):
        frames = list(open_source(path=str(folder)).frames)
    assert len(frames) == 11
    assert 4 not in [f.index for f in frames]  # the other images keep their place in time
    assert "img5.png" in caplog.text


def test_other_sizes_are_resized_to_the_first(tmp_path):
    write(tmp_path / "1.png", 10)
    write(tmp_path / "2.png", 20, size=(96, 64))
    frames = list(open_source(path=str(tmp_path)).frames)
    assert [f.size for f in frames] == [(W, H), (W, H)]


def test_start_time_defaults_to_first_image_mtime(folder):
    stamp = datetime(2026, 5, 4, 6, 7, 8).timestamp()
    os.utime(folder / "img1.png", (stamp, stamp))
    stream = open_source(path=str(folder), fps=4.0)
    frames = list(stream.frames)
    assert frames[0].wall_time.timestamp() == pytest.approx(stamp)
    assert frames[4].wall_time - frames[0].wall_time == timedelta(seconds=1)


def test_explicit_start_time(folder):
    clock = datetime(2026, 1, 2, 3, 4, 5)
    frames = list(open_source(path=str(folder), fps=1.0, start_time=clock).frames)
    assert frames[2].wall_time == clock + timedelta(seconds=2)


@pytest.mark.parametrize(("setup", "cfg", "code", "field"), [
    ("missing", {}, "source_missing", "path"),
    ("file", {}, "source_not_folder", "path"),
    ("empty", {}, "source_no_images", "patterns"),
    ("png_only", {"patterns": ["*.jpg", "*.bmp"]}, "source_no_images", "patterns"),
    ("broken", {}, "source_images_unreadable", "path"),
    ("ok", {"start": 100.0}, "source_start_beyond_end", "start"),
])
def test_errors_name_node_and_field(tmp_path, setup, cfg, code, field):
    path = tmp_path / "f"
    if setup == "file":
        path.write_text("x")
    elif setup != "missing":
        path.mkdir()
        if setup == "broken":
            (path / "a.jpg").write_bytes(b"not a jpeg")
        if setup in ("ok", "png_only"):
            write(path / "a.png", 1)
    block = ImageFolder(ImageFolderConfig(path=str(path), **cfg), node_id="imgs")  # constructing reads nothing
    with pytest.raises(BlockError) as err:
        block.open()
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == (code, "imgs", field)
