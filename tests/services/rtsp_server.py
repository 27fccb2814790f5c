"""A one-file RTSP server for tests; run with Debian's python3 (GStreamer's Python bindings are there, not in the venv).

    /usr/bin/python3 tests/services/rtsp_server.py PORT MOUNT CLIP.mp4

Serves CLIP (an H.264 mp4) at rtsp://127.0.0.1:PORT/MOUNT. Every client gets its own playback from the start of the
file (not shared), and the stream ends when the file does: what a camera that drops looks like to a reader.
Prints "ready" once it listens. Only the standard library and gi are imported: the venv's packages are not available.
"""

from __future__ import annotations

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main(port: str, mount: str, clip: str) -> None:
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f'( filesrc location="{clip}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 )')
    factory.set_shared(False)
    server.get_mount_points().add_factory(f"/{mount}", factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{port}")
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main(*sys.argv[1:4])
