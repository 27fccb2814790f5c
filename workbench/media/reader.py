"""Read a live stream in a thread: reconnect with exponential backoff, hand frames over through a small bounded queue.

The pipeline never restarts: the reader reopens the camera behind the same frame iterator, so every block keeps its
state across a drop. Frame times come from the monotonic clock when a frame is read, so they keep increasing across
reconnects. `latest` drops the oldest queued frame when the pipeline is slower than the camera; `every` waits.
URLs are opened with OpenCV's FFmpeg backend: rtsp:// with the camera's RTSP transport (`ffmpeg_options`), http://
MJPEG cameras (multipart/x-mixed-replace) as they are, with basic-auth credentials in the URL.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from workbench.core.locations import is_url, redact
from workbench.media.ffmpeg_options import Transport, capture_options
from workbench.media.health import HealthTracker

FALLBACK_FPS = 25.0
RATE_FRAMES, RATE_S = 12, 2.0  # an MJPEG camera's frame rate is measured over its first frames (at most this long)
_POLL_S = 0.2  # how often waiting loops look at the stop flag



def is_rtsp(location: str) -> bool:
    return location.lower().startswith(("rtsp://", "rtsps://"))


@dataclass(frozen=True)
class ReaderSettings:
    url: str
    policy: Literal["latest", "every"] = "latest"
    queue_size: int = 2
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 10.0
    backoff_factor: float = 2.0
    give_up_after_s: float | None = None  # None = never
    read_timeout_s: float = 5.0
    realtime: bool = True  # a file is read at its own frame rate, as a camera delivers frames
    rtsp_transport: Transport = "auto"  # rtsp:// only: tcp, udp, or OpenCV/FFmpeg's choice

    @property
    def is_file(self) -> bool:
        return not is_url(self.url)


class StreamReader:
    """The reader thread and the queue between it and the pipeline. `ended` tells why reading stopped."""

    def __init__(self, settings: ReaderSettings, health: HealthTracker) -> None:
        self.settings, self.health = settings, health
        self.queue: queue.Queue[tuple[int, np.ndarray, float]] = queue.Queue(maxsize=settings.queue_size)
        self.fps = FALLBACK_FPS
        self.frame_size: tuple[int, int] | None = None
        self.ended: str | None = None  # eof | gave_up | stopped
        self._first = threading.Event()
        self._stop = threading.Event()
        self._index = 0
        self._thread = threading.Thread(target=self._run, name="stream-reader", daemon=True)

    # -- the pipeline's side -------------------------------------------------------------------------------------------
    def start(self) -> StreamReader:
        self._thread.start()
        return self

    def wait_first(self) -> bool:
        """Block until the first frame is read (True) or reading ended before any (False)."""
        while not self._first.wait(_POLL_S):
            if self.ended is not None:
                return False
        return True

    def frames(self) -> Iterator[tuple[int, np.ndarray, float]]:
        """(index, image, monotonic read time) until the reader ends and the queue is empty, or stop() is called."""
        while not self._stop.is_set():
            try:
                item = self.queue.get(timeout=_POLL_S)
            except queue.Empty:
                if self.ended is not None and self.queue.empty():
                    return
                continue
            self.health.frame_out(time.monotonic() - item[2])
            yield item

    def stop(self) -> None:
        """Ask the reader to end (serve's Ctrl+C); the frame iterator returns at its next look at the flag."""
        self._stop.set()

    def close(self) -> None:
        self.stop()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.settings.read_timeout_s + 2)

    # -- the reader thread ---------------------------------------------------------------------------------------------
    def _run(self) -> None:
        s = self.settings
        delay = s.initial_backoff_s
        try:
            while not self._stop.is_set():
                cap, first = self._connect()
                if cap is not None:
                    self.health.connected()
                    delay = s.initial_backoff_s
                    self._read(cap, first)
                    cap.release()
                    if s.is_file and not self._stop.is_set():
                        self._end("eof")
                        return
                    self.health.disconnected("no frame within the read timeout, or the stream ended")
                if s.give_up_after_s is not None and self.health.down_for() >= s.give_up_after_s:
                    self._end("gave_up")
                    return
                if cap is None:  # wait before trying again; reconnect at once after a drop
                    self._stop.wait(delay)
                    delay = min(delay * s.backoff_factor, s.max_backoff_s)
            self._end("stopped")
        except Exception as exc:  # a defect here must end the stream visibly, not hang the pipeline
            self.health.error(f"{type(exc).__name__}: {exc}")
            self._end("gave_up")

    def _connect(self) -> tuple[cv2.VideoCapture | None, list[tuple[np.ndarray, float]]]:
        """Open the stream and read its first frame(s), each with its read time; (None, []) when that failed."""
        s = self.settings
        if s.is_file:
            cap = cv2.VideoCapture(s.url)
        else:
            ms = int(s.read_timeout_s * 1000)
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
            if is_rtsp(s.url):
                with capture_options(s.rtsp_transport):  # OpenCV reads the transport from the environment at open
                    cap = cv2.VideoCapture(s.url, cv2.CAP_FFMPEG, params)
            else:
                cap = cv2.VideoCapture(s.url, cv2.CAP_FFMPEG, params)
        opened = cap.isOpened()
        ok, image = cap.read() if opened else (False, None)
        if not ok or image is None:
            cap.release()
            via = f" over {s.rtsp_transport.upper()}" if is_rtsp(s.url) and s.rtsp_transport != "auto" else ""
            self.health.disconnected(f"{redact(s.url)} opened{via} but sent no frame" if opened else
                                     f"cannot open {redact(s.url)}{via}")
            return None, []
        first = [(image, time.monotonic())]
        if self.frame_size is None:
            fps = cap.get(cv2.CAP_PROP_FPS)
            self.fps = fps if 0 < fps < 1000 else FALLBACK_FPS
            self.frame_size = (image.shape[1], image.shape[0])
            if not s.is_file and int(cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little") == b"MJPG":
                first = self._measure_rate(cap, first)
        return cap, first

    def _measure_rate(self, cap: cv2.VideoCapture, first: list[tuple[np.ndarray, float]]
                      ) -> list[tuple[np.ndarray, float]]:
        """MJPEG over HTTP carries no timing (OpenCV says 25 fps whatever the camera sends): time its first frames.

        The median gap between reads ignores the burst of frames FFmpeg buffered while opening.
        """
        while len(first) < RATE_FRAMES and first[-1][1] - first[0][1] < RATE_S and not self._stop.is_set():
            ok, image = cap.read()
            if not ok:
                break
            first.append((image, time.monotonic()))
        gaps = sorted(b[1] - a[1] for a, b in itertools.pairwise(first))
        if gaps and gaps[len(gaps) // 2] > 0:
            self.fps = round(min(1000.0, 1 / gaps[len(gaps) // 2]), 2)
        return first

    def _read(self, cap: cv2.VideoCapture, first: list[tuple[np.ndarray, float]]) -> None:
        for image, read_at in first:
            self._put(image, read_at)
            self._first.set()
        began, n = time.monotonic(), 1
        while not self._stop.is_set():
            if self.settings.is_file and self.settings.realtime:
                self._stop.wait(max(0.0, began + n / self.fps - time.monotonic()))
            ok, image = cap.read()
            if not ok or image is None:
                return
            self._put(image, time.monotonic())
            n += 1

    def _put(self, image: np.ndarray, read_at: float) -> None:
        if self.frame_size is not None and (image.shape[1], image.shape[0]) != self.frame_size:
            image = cv2.resize(image, self.frame_size)  # the camera changed resolution: keep what the sinks opened
        image.flags.writeable = False
        item = (self._index, image, read_at)
        self._index += 1
        self.health.frame_in()
        if self.settings.policy == "latest":
            while True:
                try:
                    self.queue.put_nowait(item)
                    return
                except queue.Full:
                    try:
                        self.queue.get_nowait()
                        self.health.dropped()
                    except queue.Empty:
                        pass
        while not self._stop.is_set():
            try:
                self.queue.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def _end(self, why: str) -> None:
        self.ended = why
        self.health.finished(why)
