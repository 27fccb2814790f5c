"""`workbench labelstudio start`: a local Label Studio for small sites, from its own venv, loopback only, offline.

Files under `<home>/labelstudio/`: `data/` (Label Studio's database and media), `token` (API token of the admin user,
mode 600), `credentials.json` (web login, mode 600), `secret_key`, `server.json` (URL of the running server),
`server.log`. The token is created on the first start (`LABEL_STUDIO_USER_TOKEN`) and never printed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.paths import workbench_home

LABEL_STUDIO_REQUIREMENT = "label-studio>=1.20,<2"
HOST = "127.0.0.1"
_STARTED_AT = re.compile(r"Starting development server at https?://[^:/]+:(\d+)/")


@dataclass(frozen=True)
class LocalServer:
    """A Label Studio started by the workbench: where it answers and where its secrets are kept."""

    url: str
    port: int
    data_dir: Path
    token_file: Path
    credentials_file: Path
    log_file: Path


def labelstudio_home() -> Path:
    return workbench_home() / "labelstudio"


def default_venv() -> Path:
    """Label Studio's own venv: `WORKBENCH_LABELSTUDIO_VENV` (one the operator installed), else
    `<home>/labelstudio-venv`."""
    configured = os.environ.get("WORKBENCH_LABELSTUDIO_VENV", "").strip()
    return Path(configured) if configured else workbench_home() / "labelstudio-venv"


def local_server_info(home: Path | None = None) -> LocalServer | None:
    """The server `workbench labelstudio start` last started (its `server.json`), or None."""
    home = home or labelstudio_home()
    info = home / "server.json"
    if not info.is_file():
        return None
    d = json.loads(info.read_text(encoding="utf-8"))
    return LocalServer(url=d["url"], port=int(d["port"]), data_dir=home / "data", token_file=home / "token",
                       credentials_file=home / "credentials.json", log_file=home / "server.log")


def forget_local_server(home: Path | None = None) -> None:
    """Remove `server.json` once the server stopped, so clients say "no server" instead of "unreachable"."""
    ((home or labelstudio_home()) / "server.json").unlink(missing_ok=True)


def _fail(code: str, /, **params: object) -> WorkbenchError:
    return WorkbenchError([Problem(code, node="labelstudio", params=params)])


def label_studio_exe(venv: Path) -> Path:
    return venv / "bin" / "label-studio"


def ensure_venv(venv: Path, say: Callable[[str], None] = print) -> tuple[Path, float]:
    """`<venv>/bin/label-studio`, creating the venv and pip-installing label-studio first when it is missing.

    Returns the executable and the seconds spent installing (0 when it was there already).
    """
    from workbench.core.i18n import t

    exe = label_studio_exe(venv)
    if exe.exists():
        return exe, 0.0
    say(t("labeling.venv_installing", venv=str(venv), requirement=LABEL_STUDIO_REQUIREMENT))
    t0 = time.monotonic()
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, text=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", LABEL_STUDIO_REQUIREMENT],
                       check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as exc:
        tail = (exc.stderr or exc.stdout or "").strip().splitlines()[-3:]
        raise _fail("labelstudio_install_failed", venv=str(venv), detail=" | ".join(tail)) from exc
    seconds = time.monotonic() - t0
    say(t("labeling.venv_installed", venv=str(venv), seconds=round(seconds)))
    return exe, seconds


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def server_env(data_dir: Path, document_root: Path, username: str, password: str, token: str,
               secret_key: str = "") -> dict[str, str]:
    """The environment of an offline Label Studio: no update checks, no telemetry, no live tips fetched from GitHub
    (ls_settings: Label Studio's settings plus a local answer to /heidi-tips/), local files served, token set."""
    from workbench.features.labeling import ls_settings

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LABEL_STUDIO_", "LOCAL_FILES_", "DJANGO_")) and k != "PYTHONPATH"}
    env.update({
        **ls_settings.OFFLINE_ENV, "PYTHONPATH": str(ls_settings.FOLDER), "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_USERNAME": username,
        "LABEL_STUDIO_PASSWORD": password, "LABEL_STUDIO_USER_TOKEN": token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true", "LOCAL_FILES_SERVING_ENABLED": "true",
        "LOCAL_FILES_DOCUMENT_ROOT": str(document_root),
    })
    if secret_key:
        env["SECRET_KEY"] = secret_key
    return env


def launch(exe: Path, env: dict[str, str], port: int, log_file: Path) -> subprocess.Popen:
    """Start `label-studio start` on 127.0.0.1:`port` (a busy port is refused here: Label Studio would move on)."""
    if not port_is_free(port):
        raise _fail("labelstudio_port_busy", port=port)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        return subprocess.Popen(
            [str(exe), "start", "--no-browser", "--internal-host", HOST, "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


def log_size(log_file: Path) -> int:
    """Where this start's lines begin in the log (it is appended to across starts)."""
    return log_file.stat().st_size if log_file.is_file() else 0


def _log_since(log_file: Path, offset: int) -> str:
    with open(log_file, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", errors="replace")


def wait_ready(proc: subprocess.Popen, port: int, log_file: Path, timeout: float = 300.0, log_offset: int = 0) -> float:
    """Seconds until `/health` answers on `port`; a crash, a move to another port or a timeout is a problem.

    Only the log after `log_offset` counts: an earlier start's "Starting development server at" line (another port)
    is no move."""
    t0 = time.monotonic()
    url = f"http://{HOST}:{port}/health"
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise _fail("labelstudio_start_failed", log=str(log_file), code=proc.returncode)
        found = _STARTED_AT.findall(_log_since(log_file, log_offset))
        if found and int(found[-1]) != port:
            stop(proc)
            raise _fail("labelstudio_port_moved", port=port, actual=int(found[-1]))
        try:
            if found and httpx.get(url, timeout=2.0).status_code == 200:
                return time.monotonic() - t0
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    stop(proc)
    raise _fail("labelstudio_start_timeout", seconds=round(timeout), log=str(log_file))


def stop(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """Stop a server we started (its own process group only)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, 15)
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait(grace)
    except ProcessLookupError:
        pass


def _secret(path: Path, make: Callable[[], str]) -> str:
    """Read a secret file, creating it (mode 600) on first use."""
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value + "\n")
    return value


def bootstrap_secrets(home: Path) -> tuple[str, str, str, str]:
    """Username, password, API token and Django secret key of the local server, created once."""
    creds = json.loads(_secret(home / "credentials.json", lambda: json.dumps(
        {"username": "admin@localhost", "password": secrets.token_urlsafe(12)})))
    token = _secret(home / "token", lambda: secrets.token_hex(20))
    key = _secret(home / "secret_key", lambda: secrets.token_urlsafe(40))
    return creds["username"], creds["password"], token, key


def start(port: int = 8080, venv: Path | None = None, document_root: Path | None = None,
          say: Callable[[str], None] = print, home: Path | None = None) -> tuple[subprocess.Popen, LocalServer]:
    """Install if needed, start, wait until ready and record `server.json`. The caller waits on or stops the process.

    `home` holds the server's data and secrets (default `<workbench home>/labelstudio`).
    """
    from workbench.core.i18n import t

    home = home or labelstudio_home()
    exe, _ = ensure_venv(venv or default_venv(), say)
    username, password, token, key = bootstrap_secrets(home)
    root = (document_root or workbench_home()).resolve()
    root.mkdir(parents=True, exist_ok=True)
    server = LocalServer(url=f"http://{HOST}:{port}", port=port, data_dir=home / "data", token_file=home / "token",
                         credentials_file=home / "credentials.json", log_file=home / "server.log")
    first = not (server.data_dir / "label_studio.sqlite3").exists()
    say(t("labeling.server_starting", port=port, log=str(server.log_file), first=t(
        "labeling.server_first_start") if first else ""))
    offset = log_size(server.log_file)
    proc = launch(exe, server_env(server.data_dir, root, username, password, token, key), port, server.log_file)
    seconds = wait_ready(proc, port, server.log_file, log_offset=offset)
    (home / "server.json").write_text(json.dumps({"url": server.url, "port": port, "pid": proc.pid}), encoding="utf-8")
    say(t("labeling.server_ready", url=server.url, seconds=round(seconds), token_file=str(server.token_file),
          credentials=str(server.credentials_file), root=str(root)))
    return proc, server
