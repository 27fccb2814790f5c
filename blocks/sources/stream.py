"""Read a live camera stream (RTSP/HTTP, or a file played as if it were one) that survives drops.

A reader thread reconnects with exponential backoff behind the same frame iterator, so the pipeline is not restarted
and every block keeps its state. Frame times are read times on the monotonic clock (they keep increasing across
reconnects); the clock time is `start_time` + that. Health (connected, fps in/out, lag, reconnects, dropped frames,
outages) is kept by `workbench.media.health.HealthTracker`, handed to the runner with the opened stream
(`VideoStream.live`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field

from workbench.core.block import BlockConfig, LiveHandle, SourceBlock, VideoStream
from workbench.core.config_checks import not_below
from workbench.core.errors import BlockError
from workbench.core.frames import Frame
from workbench.core.i18n import t
from workbench.core.kinds import Kind, Port
from workbench.core.locations import is_url, redact, source_problems
from workbench.core.policy import operator_policy
from workbench.media.health import HealthTracker, StreamHealth
from workbench.media.reader import ReaderSettings, StreamReader


class StreamUnreachable(BlockError):
    """The camera never sent a first frame before giving up; `health` says what was tried (outages, last error)."""

    def __init__(self, node: str, url: str, health: StreamHealth) -> None:
        super().__init__("stream_unreachable", node, "url", url=url, detail=health.last_error)
        self.health = health


class StreamConfig(BlockConfig):
    """Where the stream is, how hard to try to keep it, and what to do when the pipeline cannot keep up."""

    url: str = Field(..., min_length=1,
                     description="Stream URL (rtsp://user:password@camera/stream; http://user:password@camera/video "
                     "for MJPEG cameras) or a video file played as a live stream")
    camera: str = Field("", max_length=100,
                        description="Camera id written on every event of this stream (empty = the URL without its "
                        "password)")
    drop_policy: Literal["latest", "every"] = Field(
        "latest", description="latest: when the pipeline is slower than the camera, process the newest frame and "
        "drop the ones that piled up (stays live); every: process every frame (falls behind live)")
    buffer_frames: int = Field(2, ge=1, le=250, description="Frames waiting between the camera and the pipeline")
    reconnect_initial_s: float = Field(0.5, gt=0, le=60, description="Wait before the first reconnect attempt (s)")
    reconnect_max_s: float = Field(10.0, gt=0, le=3600, description="Longest wait between reconnect attempts (s)")
    reconnect_factor: float = Field(2.0, ge=1, le=10, description="Each failed attempt multiplies the wait by this")
    give_up_after_s: float | None = Field(
        None, gt=0, description="End the stream after it has been down this long (s); empty = never give up")
    read_timeout_s: float = Field(5.0, gt=0, le=300,
                                  description="A connection or read that takes longer counts as a drop (s)")
    rtsp_transport: Literal["auto", "tcp", "udp"] = Field(
        "auto", description="How an rtsp:// camera sends its video: tcp gets through firewalls and NAT (many cameras "
        "need it); udp has lower latency on a clean local network; auto: the video library's choice (TCP first, "
        "UDP if the camera refuses TCP)")
    realtime: bool = Field(True, description="Play a video file at its own frame rate, as a camera would "
                           "(off: as fast as it decodes)")
    start_time: datetime | None = Field(None, description="Clock time of the first frame (empty = now)")

    _max_not_below_initial = not_below("reconnect_max_s", "reconnect_initial_s", unit="s")


class StreamSource(SourceBlock[StreamConfig]):
    """Play a live camera stream; reconnect by itself after drops and report the stream's health."""

    type_id = "sources/stream@v1"
    Config = StreamConfig
    location_field = "url"
    outputs = (Port("frames", Kind.IMAGE, description="Decoded frames with their index and time"),)

    def settings(self) -> ReaderSettings:
        c = self.config
        return ReaderSettings(url=c.url, policy=c.drop_policy, queue_size=c.buffer_frames,
                              initial_backoff_s=c.reconnect_initial_s, max_backoff_s=c.reconnect_max_s,
                              backoff_factor=c.reconnect_factor, give_up_after_s=c.give_up_after_s,
                              read_timeout_s=c.read_timeout_s, realtime=c.realtime,
                              rtsp_transport=c.rtsp_transport)

    def open(self) -> VideoStream:
        return self.open_live(lambda handle: None)

    def open_live(self, on_live: Callable[[LiveHandle], None]) -> VideoStream:
        """Start the reader, hand its health and stop to `on_live`, and wait for the first frame (its size opens the
        sinks); retries until give-up."""
        cfg = self.config
        refused = source_problems(cfg.url, self.node_id, "url", operator_policy())
        if refused:
            raise BlockError.from_problems(refused)
        if not is_url(cfg.url) and not Path(cfg.url).is_file():
            raise BlockError("source_missing", self.node_id, "url", path=cfg.url)
        reader = StreamReader(self.settings(), HealthTracker(cfg.camera, redact(cfg.url))).start()
        on_live(LiveHandle(health=reader.health.snapshot, stop=reader.stop))
        try:
            if not reader.wait_first():
                raise StreamUnreachable(self.node_id, redact(cfg.url), reader.health.snapshot())
        except BaseException:
            reader.close()
            raise
        start_time = cfg.start_time or datetime.now().astimezone()
        stream = VideoStream(frames=iter(()), fps=reader.fps, frame_size=reader.frame_size or (0, 0),
                             start_time=start_time, close=reader.close)
        stream.frames = self._frames(reader, start_time, stream)
        return stream

    def _frames(self, reader: StreamReader, start_time: datetime, stream: VideoStream) -> Iterator[Frame]:
        source = self.config.camera or redact(self.config.url)
        began, last = None, -1.0
        for index, image, read_at in reader.frames():
            began = read_at if began is None else began
            pts = max(read_at - began, last + 1e-6)  # strictly increasing, also across reconnects
            last = pts
            yield Frame(image=image, index=index, pts=pts, wall_time=start_time + timedelta(seconds=pts), source=source)
        if reader.ended == "gave_up":
            stream.stopped_early = t("problem.stream_gave_up", url=redact(self.config.url),
                                     seconds=self.config.give_up_after_s, detail=reader.health.snapshot().last_error)

