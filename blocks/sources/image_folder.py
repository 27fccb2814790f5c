"""Play a folder of still images (frames exported from a camera, time-lapse shots) as a video.

Images are matched by `patterns` (case-insensitive, not recursive) and played in natural name order (frame2 before
frame10). A frame's index is the image's position in that order, so its time is index / fps. An image that cannot be
decoded is skipped and logged (the rest play on); an image of another size is resized to the first image's size so
that every frame of the stream has one size.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from fnmatch import fnmatch
from pathlib import Path

import cv2
import numpy as np
from pydantic import Field

from blocks.sources._window import WindowConfig, first_index, stop_index, window_count
from workbench.core.block import BlockConfig, SourceBlock, VideoStream
from workbench.core.errors import BlockError
from workbench.core.frames import Frame, read_only
from workbench.core.kinds import Kind, Port

log = logging.getLogger(__name__)


class _Location(BlockConfig):
    path: str = Field(..., min_length=1, description="Folder that holds the images")
    patterns: tuple[str, ...] = Field(
        ("*.jpg", "*.jpeg", "*.png"), min_length=1,
        description="File name patterns of the images to play (case-insensitive), e.g. *.jpg or cam1_*.png",
    )
    fps: float = Field(25.0, gt=0.0, le=1000.0, description="Images per second of recording, used for time stamps")


class ImageFolderConfig(WindowConfig, _Location):  # bases in this order so that `path` comes first in forms
    """Which folder of images to play as a video, and which of them."""


def natural_key(name: str) -> list[object]:
    """Sort key that orders embedded numbers by value: img2.jpg before img10.jpg."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def _read(path: Path) -> np.ndarray | None:
    """Decode an image as BGR (None when it is not a readable image); np.fromfile copes with any file name."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError:
        return None
    return cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None


class ImageFolder(SourceBlock[ImageFolderConfig]):
    """Play the images of a folder in name order as frames; unreadable images are skipped."""

    type_id = "sources/image_folder@v1"
    Config = ImageFolderConfig
    outputs = (Port("frames", Kind.IMAGE, description="Decoded images with their index and time"),)

    def list_images(self) -> list[Path]:
        """The matching files of the folder, in natural name order."""
        cfg = self.config
        folder = Path(cfg.path)
        if not folder.exists():
            raise BlockError("source_missing", self.node_id, "path", path=cfg.path)
        if not folder.is_dir():
            raise BlockError("source_not_folder", self.node_id, "path", path=cfg.path)
        patterns = [p.lower() for p in cfg.patterns]
        files = [f for f in folder.iterdir() if f.is_file() and any(fnmatch(f.name.lower(), p) for p in patterns)]
        if not files:
            raise BlockError("source_no_images", self.node_id, "patterns", path=cfg.path,
                             patterns=", ".join(cfg.patterns))
        return sorted(files, key=lambda f: natural_key(f.name))

    def open(self) -> VideoStream:
        cfg = self.config
        files = self.list_images()
        first = first_index(cfg, cfg.fps)
        if first >= len(files):
            raise BlockError("source_start_beyond_end", self.node_id, "start",
                             start=cfg.start, duration=round(len(files) / cfg.fps, 2))
        stop = stop_index(cfg, cfg.fps, len(files))
        chosen = range(first, stop, cfg.stride)
        size = next((img.shape[1::-1] for i in chosen if (img := _read(files[i])) is not None), None)
        if size is None:
            raise BlockError("source_images_unreadable", self.node_id, "path", path=cfg.path)
        start_time = cfg.start_time or datetime.fromtimestamp(files[0].stat().st_mtime).astimezone()
        return VideoStream(frames=self._frames(files, chosen, size, start_time), fps=cfg.fps / cfg.stride,
                           frame_size=(int(size[0]), int(size[1])), frame_count=window_count(cfg, cfg.fps, len(files)),
                           start_time=start_time)

    def _frames(self, files: list[Path], chosen: range, size: tuple[int, int],
                start_time: datetime) -> Iterator[Frame]:
        skipped = 0
        for index in chosen:
            image = _read(files[index])
            if image is None:
                skipped += 1
                log.warning("%s: skipped unreadable image %s", self.node_id, files[index])
                continue
            if image.shape[1::-1] != tuple(size):
                image = cv2.resize(image, tuple(size), interpolation=cv2.INTER_AREA)
            pts = index / self.config.fps
            yield Frame(image=read_only(image), index=index, pts=pts,
                        wall_time=start_time + timedelta(seconds=pts), source=str(files[index]))
        if skipped:
            log.warning("%s: skipped %d of %d images that could not be read", self.node_id, skipped, len(chosen))
