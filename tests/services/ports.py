"""Free TCP ports on 127.0.0.1 for test services."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import requests


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int, grpc_offset: int | None = None) -> list[int]:
    """`count` distinct free ports; with `grpc_offset`, port + offset is free too (SeaweedFS' gRPC convention)."""
    found: list[int] = []
    while len(found) < count:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port in found or (grpc_offset is not None and (port + grpc_offset > 65535 or
                                                          not port_free(port + grpc_offset))):
            continue
        found.append(port)
    return found


def wait_http(url: str, timeout: float, alive: Callable[[], bool], log: Callable[[], str]) -> None:
    """Poll `url` until it answers 200; fail early with the log when the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"service exited before {url} answered:\n{log()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout} s:\n{log()[-3000:]}")
