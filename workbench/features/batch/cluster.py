"""Connect to Ray for a batch: a private local Ray by default, or an explicit cluster address (never "auto").

Local Ray: `ray.init(num_cpus=N, include_dashboard=False, log_to_driver=False)` bound to 127.0.0.1, usage stats off,
workers at normal priority (RAY_worker_niceness 0 unless set; Ray's default is nice 15),
its session files in a short private temp folder (removed afterwards), token authentication with a token file in
`<workbench home>/ray/auth_token` (mode 0600) unless RAY_AUTH_MODE / RAY_AUTH_TOKEN / RAY_AUTH_TOKEN_PATH are set.
Cluster: `host:port` of the head's GCS; this machine must be a node of that cluster (e.g. `ray start --address ...
--num-cpus 0`); the cluster's token comes from RAY_AUTH_TOKEN_PATH / RAY_AUTH_TOKEN as Ray reads them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.paths import workbench_home

CONNECT_CHECK_S = 3.0
_AUTH_VARS = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")
NICENESS_SETTING = "RAY_worker_niceness"  # Ray's own setting (default 15), read by its raylet and workers


def parse_address(address: str) -> tuple[str, int]:
    """`host:port` -> (host, port); anything else (auto, ray://, no port) is a user error naming --ray-address."""
    host, sep, port = address.strip().rpartition(":")
    if not sep or not host or "/" in host or not port.isdigit() or not 0 < int(port) < 65536:
        raise WorkbenchError([Problem("batch_address_bad", field="--ray-address", params={"address": address})])
    return host.strip("[]"), int(port)


def check_reachable(address: str) -> None:
    """Fail in seconds (ray.init would wait for minutes) when nothing listens at the address."""
    host, port = parse_address(address)
    try:
        socket.create_connection((host, port), timeout=CONNECT_CHECK_S).close()
    except OSError as exc:
        raise WorkbenchError([Problem("batch_address_unreachable", field="--ray-address",
                                      params={"address": address, "detail": exc.strerror or str(exc)})]) from None


def local_token_file() -> str:
    """The workbench's own Ray token (created once, owner-only), so a local Ray never uses ~/.ray/auth_token."""
    folder = workbench_home() / "ray"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "auth_token"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return str(path)


@contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables (inherited by a local Ray's processes) and put the old values back afterwards."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise WorkbenchError([Problem("batch_ray_missing", field="--ray-address")]) from None
    return ray


@contextmanager
def ray_session(address: str | None, workers: int) -> Iterator[Any]:
    """`ray` connected (local with `workers` CPUs, or the cluster at `address`); always shut down afterwards.

    Ray reads its settings (auth mode, token path) when it is first imported: they are set before the import.
    """
    env = {"RAY_USAGE_STATS_ENABLED": "0", "WORKBENCH_HOME": str(workbench_home())}
    temp_dir = None
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    if address:
        check_reachable(address)
        kwargs["address"] = address.strip()
    else:
        if not any(os.environ.get(k) for k in _AUTH_VARS):
            env.update({"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": local_token_file()})
        # Ray starts its workers at nice 15: on a machine where anything else runs, a batch's workers got a fraction
        # of the CPU a plain `workbench run` (nice 0) gets. The batch is the user's own work: normal priority.
        env[NICENESS_SETTING] = os.environ.get(NICENESS_SETTING, "0")
        temp_dir = tempfile.mkdtemp(prefix="wb-ray-")  # short: Ray's unix sockets live under it (108-byte limit)
        kwargs.update(num_cpus=workers, _temp_dir=temp_dir, _node_ip_address="127.0.0.1")
    with _environ(env):
        ray = _import_ray()
        previous = None
        try:
            _connect(ray, kwargs, address)
            if threading.current_thread() is threading.main_thread():  # after ray.init, which installs its own
                previous = signal.signal(signal.SIGTERM, _interrupt)
            yield ray
        finally:
            ray.shutdown()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            if temp_dir:
                shutil.rmtree(temp_dir, ignore_errors=True)


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM (docker stop, systemd) stops a batch like Ctrl+C: workers stopped, summary written, Ray shut down."""
    raise KeyboardInterrupt


def _connect(ray: Any, kwargs: dict[str, Any], address: str | None) -> None:
    from ray.exceptions import AuthenticationError

    try:
        ray.init(**kwargs)
    except AuthenticationError as exc:
        raise WorkbenchError([Problem("batch_ray_auth", field="--ray-address",
                                      params={"address": address or "local", "detail": exc.message})]) from None
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
        code = "batch_ray_connect_failed" if address else "batch_ray_start_failed"
        raise WorkbenchError([Problem(code, field="--ray-address" if address else "--workers",
                                      params={"address": address or "local", "detail": str(exc)[:300]})]) from None
