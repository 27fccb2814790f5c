"""A real two-node Ray cluster on 127.0.0.1 for tests: a head and a worker node, 1 CPU each.

    with ray_cluster(tmp_path) as cluster:      # cluster.address = "127.0.0.1:PORT", cluster.env = auth settings
        subprocess.run([..., "--ray-address", cluster.address], env={**os.environ, **cluster.env})

Each node is `ray start --block` in its own process group (stopped by that group, never `ray stop`, which would kill
every Ray process on the machine). Every port a node opens is chosen free and passed explicitly (the dashboard's
default 8265/52365 would clash with another Ray on the machine). Session files live in a short private temp folder
(Ray's unix sockets need paths under 108 bytes); the token file is ours (RAY_AUTH_MODE=token, RAY_AUTH_TOKEN_PATH);
usage stats are off. Measured here: the head answers in ~3 s, both nodes are alive after 10-20 s on 2 busy cores.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from services.ports import free_ports
from services.process import spawn, stop

READY_TIMEOUT_S = 120.0
OBJECT_STORE_BYTES = 100 * 2**20


@dataclass(frozen=True)
class RayCluster:
    address: str  # 127.0.0.1:PORT of the head's GCS
    env: dict[str, str]  # what a driver needs in its environment to join (auth, usage stats)
    folder: Path
    node_ids: tuple[str, ...]  # ids of the live nodes (as Ray's runtime context reports them in tasks)


def _ray_binary() -> str:
    local = Path(sys.executable).parent / "ray"
    found = str(local) if local.is_file() else shutil.which("ray")
    assert found, "the ray command (pip package ray) is not installed"
    return found


def _node_ports() -> list[str]:
    names = ("--node-manager-port", "--object-manager-port", "--dashboard-agent-listen-port",
             "--dashboard-agent-grpc-port", "--runtime-env-agent-port", "--metrics-export-port")
    return [arg for name, port in zip(names, free_ports(len(names)), strict=True) for arg in (name, str(port))]


def _stop_node(proc: subprocess.Popen) -> None:
    """SIGTERM `ray start` alone first (it stops its own children in order), then the whole group if it lingers."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            pass
    stop(proc, timeout=5)


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _alive_nodes(env: dict[str, str], address: str) -> list[str]:
    """Node ids of the live nodes, asked from a separate driver process (this one stays free of Ray)."""
    code = (f"import ray,json; ray.init(address={address!r}, log_to_driver=False); "
            "print(json.dumps([n['NodeID'] for n in ray.nodes() if n['Alive']]))")
    try:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return []
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if done.returncode == 0 and lines else []


@contextmanager
def ray_cluster(log_folder: Path, nodes: int = 2) -> Iterator[RayCluster]:
    """Start a head plus `nodes - 1` workers (1 CPU each); yield once every node is alive; stop them all."""
    log_folder.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix="wb-rc-"))
    token = temp / "auth_token"
    token.write_text(secrets.token_hex(32), encoding="utf-8")
    token.chmod(0o600)
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token), "RAY_USAGE_STATS_ENABLED": "0"}
    env = {**os.environ, **auth}
    port, dashboard = free_ports(2)
    address = f"127.0.0.1:{port}"
    common = ["--num-cpus", "1", "--node-ip-address", "127.0.0.1", "--temp-dir", str(temp), "--object-store-memory",
              str(OBJECT_STORE_BYTES), "--disable-usage-stats", "--block"]
    procs = [spawn([_ray_binary(), "start", "--head", "--port", str(port), "--include-dashboard", "false",
                    "--dashboard-port", str(dashboard), *_node_ports(), *common], env, log_folder / "head.log")]
    try:
        for i in range(1, nodes):
            procs.append(spawn([_ray_binary(), "start", "--address", address, *_node_ports(), *common], env,
                               log_folder / f"worker{i}.log"))
        deadline = time.monotonic() + READY_TIMEOUT_S
        node_ids: list[str] = []
        while len(node_ids) < nodes:
            dead = [p for p in procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in sorted(log_folder.glob("*.log")))
                raise RuntimeError(f"Ray cluster did not come up ({len(dead)} node(s) exited):\n{logs}")
            time.sleep(1.0)
            node_ids = _alive_nodes(env, address) if _port_open(port) else []
        yield RayCluster(address=address, env=auth, folder=temp, node_ids=tuple(node_ids))
    finally:
        for proc in reversed(procs):
            _stop_node(proc)
        shutil.rmtree(temp, ignore_errors=True)
