"""A real RTSP server for tests (Debian's GStreamer RTSP server, driven by tests/services/rtsp_server.py).

    with rtsp_server(clip, tmp / "rtsp") as server:     # rtsp://127.0.0.1:PORT/cam, from the start per client
        ...; server.kill(); server.start()                # cut the camera, bring it back on the same port
    with rtsp_server(clip, tmp / "rtsp", protocols="tcp"):  # a camera that only speaks RTSP over TCP

The Debian packages are installed with apt-get when missing (as root; CI runs on a fresh Debian machine).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from services.debian import apt_install
from services.ports import free_ports
from services.process import spawn, stop

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).with_name("rtsp_server.py")
DEBIAN_PACKAGES = ("gir1.2-gst-rtsp-server-1.0", "python3-gst-1.0", "gstreamer1.0-plugins-base",
                   "gstreamer1.0-plugins-good", "gstreamer1.0-plugins-bad")
READY_TIMEOUT_S = 20.0
Protocols = Literal["any", "tcp", "udp"]  # lower transports the server offers (tcp: RTSP-interleaved only)
PROBE = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"


def ensure_gstreamer() -> None:
    """Install the GStreamer RTSP server packages with apt-get unless the system python can already import them."""
    if subprocess.run([SYSTEM_PYTHON, "-c", PROBE], capture_output=True).returncode == 0:
        return
    apt_install(*DEBIAN_PACKAGES)
    subprocess.run([SYSTEM_PYTHON, "-c", PROBE], check=True, capture_output=True)


class RtspServer:
    """One mount (`/cam`) serving `clip`; `kill()` cuts it like a dead camera, `start()` brings it back."""

    def __init__(self, clip: Path, folder: Path, mount: str = "cam", protocols: Protocols = "any") -> None:
        self.clip, self.folder, self.mount, self.protocols = clip, folder, mount, protocols
        (self.port,) = free_ports(1)
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{self.mount}"

    def start(self) -> None:
        self.starts += 1
        log = self.folder / f"rtsp-{self.starts}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        self.proc = spawn([SYSTEM_PYTHON, str(SCRIPT), str(self.port), self.mount, str(self.clip), self.protocols], env,
                          log)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"RTSP server exited:\n{log.read_text(errors='replace')[-3000:]}")
            if "ready" in log.read_text(errors="replace") and _listening(self.port):
                return
            time.sleep(0.1)
        raise TimeoutError(f"RTSP server not ready in {READY_TIMEOUT_S} s:\n{log.read_text(errors='replace')}")

    def kill(self) -> None:
        """SIGKILL: the connection drops without a goodbye, as when a camera loses power."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(timeout=10)
        if self.proc is not None:
            stop(self.proc)  # closes the log file
        self.proc = None


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def rtsp_server(clip: Path, folder: Path, mount: str = "cam", protocols: Protocols = "any") -> Iterator[RtspServer]:
    """Start the server (installing GStreamer first if needed) and stop it, by its own pid, when the block ends."""
    ensure_gstreamer()
    folder.mkdir(parents=True, exist_ok=True)
    server = RtspServer(clip, folder, mount, protocols)
    server.start()
    try:
        yield server
    finally:
        server.kill()
