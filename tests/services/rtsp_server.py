"""A one-file RTSP server for tests; run with Debian's python3 (GStreamer's Python bindings are there, not in the venv).

    /usr/bin/python3 tests/services/rtsp_server.py PORT MOUNT CLIP.mp4 [any|tcp|udp]

Serves CLIP (an H.264 mp4) at rtsp://127.0.0.1:PORT/MOUNT. Every client gets its own playback from the start of the
file (not shared), and the stream ends when the file does: what a camera that drops looks like to a reader.
The last argument restricts the lower transports the server offers (default any): `tcp` is a camera behind a firewall
that only lets RTSP-over-TCP (interleaved) through, `udp` one that only sends RTP over UDP.
Prints "ready" once it listens. Only the standard library and gi are imported: the venv's packages are not available.
"""

from __future__ import annotations

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

LOWER = GstRtsp.RTSPLowerTrans
PROTOCOLS = {"any": LOWER.UDP | LOWER.UDP_MCAST | LOWER.TCP, "tcp": LOWER.TCP, "udp": LOWER.UDP}


def main(port: str, mount: str, clip: str, protocols: str = "any") -> None:
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f'( filesrc location="{clip}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 )')
    factory.set_shared(False)
    factory.set_protocols(PROTOCOLS[protocols])
    server.get_mount_points().add_factory(f"/{mount}", factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{port}")
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main(*sys.argv[1:5])
