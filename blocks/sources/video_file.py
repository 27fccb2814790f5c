"""Read frames from a video file or a stream URL (anything OpenCV's FFmpeg backend decodes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import cv2
from pydantic import Field

from blocks.sources._window import WindowConfig, first_index, stop_index, window_count
from workbench.core.block import BlockConfig, SourceBlock, VideoStream
from workbench.core.errors import BlockError
from workbench.core.frames import Frame, read_only
from workbench.core.i18n import t
from workbench.core.kinds import Kind, Port
from workbench.core.locations import is_url, source_problems
from workbench.core.policy import operator_policy

FALLBACK_FPS = 25.0  # when a live stream does not say its frame rate
SEEK_AFTER = 500  # frames; a shorter skip is read through (always exact), a longer one seeks
TRUNCATION_SLACK = 2  # containers may over-count by a frame or two; only a larger shortfall is a truncated file


class _Location(BlockConfig):
    path: str = Field(..., min_length=1, description="Video file path, or a stream URL such as rtsp://camera/stream")


class VideoFileConfig(WindowConfig, _Location):  # bases in this order so that `path` comes first in forms
    """Where the video is, and which frames of it to play."""


class VideoFile(SourceBlock[VideoFileConfig]):
    """Play a video file or camera stream; keep every Nth frame between a start and an end time."""

    type_id = "sources/video_file@v1"
    Config = VideoFileConfig
    outputs = (Port("frames", Kind.IMAGE, description="Decoded frames with their index and time"),)

    def open(self) -> VideoStream:
        cfg = self.config
        refused = source_problems(cfg.path, self.node_id, "path", operator_policy())
        if refused:
            raise BlockError.from_problems(refused)
        if not is_url(cfg.path) and not Path(cfg.path).is_file():
            raise BlockError("source_missing", self.node_id, "path", path=cfg.path)
        cap = cv2.VideoCapture(cfg.path)
        width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if not cap.isOpened() or width <= 0 or height <= 0:
            cap.release()
            raise BlockError("source_not_video", self.node_id, "path", path=cfg.path)
        fps = cap.get(cv2.CAP_PROP_FPS)
        fps = fps if 0 < fps < 1000 else FALLBACK_FPS
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if not is_url(cfg.path) else 0
        total = total if total > 0 else None
        first = first_index(cfg, fps)
        if total is not None and first >= total:
            cap.release()
            raise BlockError("source_start_beyond_end", self.node_id, "start",
                             start=cfg.start, duration=round(total / fps, 2))
        start_time = cfg.start_time or self._default_start_time()
        stream = VideoStream(frames=iter(()), fps=fps / cfg.stride, frame_size=(width, height),
                             frame_count=window_count(cfg, fps, total), start_time=start_time, close=cap.release)
        stream.frames = self._frames(cap, fps, total, start_time, stream)
        return stream

    def _default_start_time(self) -> datetime:
        if is_url(self.config.path):
            return datetime.now().astimezone()
        return datetime.fromtimestamp(Path(self.config.path).stat().st_mtime).astimezone()

    def _frames(self, cap: cv2.VideoCapture, fps: float, total: int | None, start_time: datetime,
                stream: VideoStream) -> Iterator[Frame]:
        """Decode only the kept frames (grab() every frame, retrieve() the ones the stride keeps)."""
        cfg = self.config
        first = first_index(cfg, fps)
        stop = stop_index(cfg, fps, total)
        index = 0
        if first > SEEK_AFTER and not is_url(cfg.path) and cap.set(cv2.CAP_PROP_POS_FRAMES, first):
            index = first
        while stop is None or index < stop:
            if not cap.grab():
                break
            if index >= first and (index - first) % cfg.stride == 0:
                ok, image = cap.retrieve()
                if not ok:
                    break
                pts = index / fps
                yield Frame(image=read_only(image), index=index, pts=pts,
                            wall_time=start_time + timedelta(seconds=pts), source=cfg.path)
            index += 1
        if stop is not None and total is not None and index < stop - TRUNCATION_SLACK:
            stream.stopped_early = t("problem.source_truncated", path=cfg.path, frame=index, expected=total)
