"""A real PostgreSQL server for tests and benchmarks: Debian's `postgresql` binaries, own data folder, 127.0.0.1.

    with postgres(tmp_path / "pg") as pg:
        url = pg.create_database("events_test")   # postgresql+psycopg://workbench:...@127.0.0.1:PORT/events_test

The cluster is made by `initdb` in a fresh temporary folder and served on a free port, TCP on 127.0.0.1 only (no
Unix socket), password (scram) authentication for the one user `workbench`. initdb and the server refuse to run as
root, so as root they run as the `postgres` system user (`runuser`), which owns the data folder. The block's end
stops the server (fast shutdown: open client connections do not hold it) and removes the data folder; `folder` keeps
the server's log. `durable=False` (tests) switches fsync off: the server is never killed, only its clients.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from services.debian import apt_install
from services.ports import free_ports
from services.process import spawn, stop

READY_TIMEOUT_S = 60.0
SYSTEM_USER = "postgres"
USER = "workbench"


@dataclass(frozen=True)
class PostgresService:
    host: str
    port: int
    user: str
    password: str
    folder: Path

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL (psycopg 3 driver) of `database` on this server."""
        return f"postgresql+psycopg://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database `name` (a plain identifier) and return its URL."""
        import psycopg

        with psycopg.connect(self.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def postgres_bin() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin; installs Debian's `postgresql` when there is none."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        apt_install("postgresql")
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    assert found, "Debian's postgresql package is installed but /usr/lib/postgresql/*/bin/initdb is missing"
    return Path(found[-1]).parent


def _as_owner(cmd: list[str]) -> list[str]:
    """`cmd` as the postgres system user when we are root (initdb and postgres refuse root)."""
    return ["runuser", "-u", SYSTEM_USER, "--", *cmd] if os.geteuid() == 0 else cmd


def _owned_temp_dir() -> Path:
    """A fresh folder in the system temp dir, owned by the postgres user when we are root."""
    path = Path(tempfile.mkdtemp(prefix="workbench-pg-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return path


def _wait_ready(service: PostgresService, alive, log: Path) -> None:
    import psycopg

    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"postgres exited before it accepted connections:\n{log.read_text(errors='replace')}")
        try:
            psycopg.connect(service.url().replace("+psycopg", ""), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            time.sleep(0.2)
    raise TimeoutError(f"postgres did not accept connections within {READY_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


@contextmanager
def postgres(folder: Path, durable: bool = False) -> Iterator[PostgresService]:
    """Run a private PostgreSQL server until the block ends; its log goes to `folder/postgres.log`."""
    folder.mkdir(parents=True, exist_ok=True)
    bin_dir = postgres_bin()
    cluster = _owned_temp_dir()
    data = cluster / "data"
    password = secrets.token_hex(16)
    try:
        pwfile = cluster / "pw"
        pwfile.write_text(password, encoding="utf-8")
        if os.geteuid() == 0:
            shutil.chown(pwfile, SYSTEM_USER)
        subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={pwfile}",
                                  "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                       check=True, capture_output=True)
        pwfile.unlink()
        (port,) = free_ports(1)
        settings = {"listen_addresses": "127.0.0.1", "port": str(port), "unix_socket_directories": "",
                    "max_connections": "100", "fsync": "on" if durable else "off"}
        cmd = [str(bin_dir / "postgres"), "-D", str(data)]
        for key, value in settings.items():
            cmd += ["-c", f"{key}={value}"]
        proc = spawn(_as_owner(cmd), dict(os.environ), folder / "postgres.log")
        service = PostgresService("127.0.0.1", port, USER, password, folder)
        try:
            _wait_ready(service, lambda: proc.poll() is None, folder / "postgres.log")
            yield service
        finally:
            subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "stop", "-m", "fast", "-w"]),
                           capture_output=True, timeout=60)
            stop(proc)
    finally:
        shutil.rmtree(cluster, ignore_errors=True)
