"""An HTTP MJPEG camera for tests: multipart/x-mixed-replace JPEG, as many cheap IP cameras serve (stdlib + OpenCV).

    with mjpeg_server(clip) as camera:                  # http://127.0.0.1:PORT/video
        ...; camera.stop(); camera.start()              # cut the camera, bring it back on the same port
    with mjpeg_server(clip, user="admin", password="pw") as camera:   # camera.url carries the credentials

The camera is live: its clock starts at the first request and frame i goes out at i / fps. A client that connects
later starts at the frame the clock is on (what happened while it was away is missed, as with a real camera), then
gets every frame in order at the clip's rate (a slow client is held back by TCP, never skipped). When the clip has
been played the camera is off: open connections end and new requests get 404.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2

from services.ports import free_ports

BOUNDARY = "frame"
PATH = "/video"


def encode_clip(clip: Path, quality: int = 90) -> tuple[list[bytes], float]:
    """The clip's frames as JPEG bytes, and its frame rate."""
    cap = cv2.VideoCapture(str(clip))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    frames = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        frames.append(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes())
    cap.release()
    if not frames:
        raise ValueError(f"no frames in {clip}")
    return frames, fps


class MjpegServer:
    """One camera at http://127.0.0.1:PORT/video; `stop()` drops every connection, `start()` listens again."""

    def __init__(self, clip: Path, user: str | None = None, password: str | None = None) -> None:
        self.frames, self.fps = encode_clip(clip)
        self.user, self.password = user, password
        (self.port,) = free_ports(1)
        self.began: float | None = None  # the camera's clock: monotonic time of frame 0
        self.requests = self.refused = 0  # refused: wrong or missing credentials
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        auth = f"{self.user}:{self.password}@" if self.user is not None else ""
        return f"http://{auth}127.0.0.1:{self.port}{PATH}"

    def start(self) -> None:
        self._stopped.clear()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"mjpeg-{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and cut every open connection, like a camera losing power."""
        self._stopped.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        with self._lock:
            for conn in self._open:
                with suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def position(self) -> int:
        """The frame the camera's clock is on (starts the clock at the first call)."""
        with self._lock:
            if self.began is None:
                self.began = time.monotonic()
            return int((time.monotonic() - self.began) * self.fps)

    def authorized(self, header: str | None) -> bool:
        if self.user is None:
            return True
        wanted = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return header == f"Basic {wanted}"

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Send frames from the clock's position on, each at its own time, until the clip ends or the camera stops."""
        first = self.position()
        if first >= len(self.frames):
            handler.send_error(404, "camera off")
            return
        handler.send_response(200)
        handler.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()
        with self._lock:
            self._open.add(handler.connection)
        try:
            sent_from = time.monotonic()
            for n, jpeg in enumerate(self.frames[first:]):
                if self._stopped.wait(max(0.0, sent_from + n / self.fps - time.monotonic())):
                    return
                handler.wfile.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                                    .encode() + jpeg + b"\r\n")
            # the camera goes off when the last frame's time is over, not when it was sent (no frame twice)
            self._stopped.wait(max(0.0, sent_from + (len(self.frames) - first) / self.fps - time.monotonic()))
        except OSError:
            return  # the client went away, or stop() cut the connection
        finally:
            with self._lock:
                self._open.discard(handler.connection)


def _handler(camera: MjpegServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:
            camera.requests += 1
            if self.path != PATH:
                self.send_error(404)
            elif not camera.authorized(self.headers.get("Authorization")):
                camera.refused += 1
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="camera"')
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                camera.serve(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def mjpeg_server(clip: Path, user: str | None = None, password: str | None = None) -> Iterator[MjpegServer]:
    """Start the camera and stop it when the block ends."""
    server = MjpegServer(clip, user, password)
    server.start()
    try:
        yield server
    finally:
        server.stop()
