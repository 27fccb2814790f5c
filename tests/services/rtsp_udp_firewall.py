"""A firewall in front of an RTSP camera that drops UDP: RTSP (TCP, with interleaved RTP) passes, RTP over UDP is lost.

    with udp_firewall(camera.port) as port:           # rtsp://127.0.0.1:PORT/cam reaches `camera` through it
        ...

A TCP proxy for the RTSP connection that rewrites the client's `client_port=` in SETUP to a pair of UDP sockets
nobody reads: the camera accepts UDP, its RTP packets vanish, as behind a NAT or firewall. In-process threads.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from services.ports import free_ports


def _udp_pair() -> list[socket.socket]:
    """Two bound UDP sockets on ports p, p+1 (RTP, RTCP) that are never read."""
    while True:
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtp.bind(("127.0.0.1", 0))
        port = rtp.getsockname()[1]
        rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            if port % 2 == 0:
                rtcp.bind(("127.0.0.1", port + 1))
                return [rtp, rtcp]
        except OSError:
            pass
        rtp.close()
        rtcp.close()


class UdpFirewall:
    def __init__(self, camera_port: int) -> None:
        self.camera_port = camera_port
        (self.port,) = free_ports(1)
        self._sink = _udp_pair()
        sink_port = self._sink[0].getsockname()[1]
        self._rewrite = f"client_port={sink_port}-{sink_port + 1}".encode()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, name=f"udp-firewall-{self.port}", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            camera = socket.create_connection(("127.0.0.1", self.camera_port))
            self._sockets += [client, camera]
            threading.Thread(target=self._pipe, args=(client, camera, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(camera, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, requests: bool) -> None:
        with suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(re.sub(rb"client_port=\d+-\d+", self._rewrite, data) if requests else data)
        for s in (src, dst):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._listener.close()
        for s in [*self._sockets, *self._sink]:
            with suppress(OSError):
                s.close()


@contextmanager
def udp_firewall(camera_port: int) -> Iterator[int]:
    """Listen on a free port in front of the RTSP server on `camera_port`; yields the port to connect to."""
    firewall = UdpFirewall(camera_port)
    try:
        yield firewall.port
    finally:
        firewall.close()
