"""Browser-playable video writing (H.264 via PyAV's bundled libx264; OpenCV wheels cannot write H.264)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

# Fragmented MP4: an empty index (moov) first, then a self-contained fragment (moof + mdat) about every second. A file
# cut at any point (kill -9, power cut, a copy taken while writing) plays up to its last complete fragment; a classic
# MP4 only gets its index when closed. Fragments are cut by time, not only at keyframes, so keyframes need not come
# every second or two: a keyframe every 2 s made real footage ~70 % bigger (docs/decisions.md).
FRAGMENT_S = 1.0  # longest stretch of video a killed writer loses (plus the frames still inside the encoder)
KEYFRAME_S = 10.0  # at least one keyframe this often (seeking in the browser starts decoding at one)
# global_sidx: an index written at close (browsers show the right duration); negative_cts_offsets: B-frames without
# shifting the timeline (else readers count two frames too many from the duration)
MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof+global_sidx+negative_cts_offsets"


class H264Writer:
    """Write BGR frames to an .mp4 that browsers play (H.264, yuv420p, fragmented MP4 with the moov atom first).

    Odd frame sizes are padded by one pixel (yuv420p needs even sizes). Use as a context manager or call close();
    a file closed after any number of frames is complete and playable, and so is a file whose writer was killed
    (up to its last complete fragment, about FRAGMENT_S before the kill).
    """

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int], preset: str = "veryfast", crf: int = 23):
        self.path = Path(path)
        self.width, self.height = size[0] + size[0] % 2, size[1] + size[1] % 2
        self._container = av.open(str(self.path), mode="w", options={
            "movflags": MOVFLAGS, "frag_duration": str(int(FRAGMENT_S * 1_000_000)),
            "flush_packets": "1"})  # hand each packet to the OS: without it a fragment waits in a 32 KB buffer
        rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(25)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.width, self._stream.height = self.width, self.height
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"preset": preset, "crf": str(crf), "g": str(max(1, round(float(rate) * KEYFRAME_S)))}
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
