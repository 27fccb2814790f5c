"""Browser-playable video writing (H.264 via PyAV's bundled libx264; OpenCV wheels cannot write H.264)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


class H264Writer:
    """Write BGR frames to an .mp4 that browsers play (H.264, yuv420p, moov atom first).

    Odd frame sizes are padded by one pixel (yuv420p needs even sizes). Use as a context manager or call close();
    a file closed after any number of frames is complete and playable.
    """

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int], preset: str = "veryfast", crf: int = 23):
        self.path = Path(path)
        self.width, self.height = size[0] + size[0] % 2, size[1] + size[1] % 2
        self._container = av.open(str(self.path), mode="w", options={"movflags": "+faststart"})
        rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(25)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.width, self._stream.height = self.width, self.height
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"preset": preset, "crf": str(crf)}
        self.frames = 0

    def write(self, bgr: np.ndarray) -> None:
        h, w = bgr.shape[:2]
        if (w, h) != (self.width, self.height):
            padded = np.zeros((self.height, self.width, 3), dtype=np.uint8)
            padded[: min(h, self.height), : min(w, self.width)] = bgr[: self.height, : self.width]
            bgr = padded
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(bgr), format="bgr24")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        if self._container is None:
            return
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        self._container = None

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_h264_mp4(path: str | Path) -> bool:
    """True when the file opens as a container with an H.264 video stream (what browsers need)."""
    try:
        with av.open(str(path)) as container:
            return any(s.codec_context.name == "h264" for s in container.streams.video)
    except (av.error.FFmpegError, OSError):
        return False
