"""`workbench serve` instances the app knows about: started from the app (kind app) or announced by the CLI (kind cli).

Each is a folder `<workbench home>/serve/<id>/`:

    cameras.yaml   the cameras file (app serves only; mode 0600: camera URLs may carry passwords)
    info.json      pid + process start time (a reliable alive check), started, pipeline, cameras (URLs redacted),
                   output root, kind, host; `stop_requested` / `ended` + `exit_code` once known
    output/        the serve output root (app serves; a CLI serve names its own root in info.json)
    log.txt        the serve process' stdout + stderr (app serves)

An app serve is `python -m workbench.apps.cli serve cameras.yaml --out output --quiet`, a detached process (own session)
that survives a browser refresh; stopping it is SIGTERM, on which serve closes every camera's files.
No streamlit here: the page (workbench/apps/ui/cameras_view.py) only draws what these functions return.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.locations import redact
from workbench.core.paths import workbench_home
from workbench.features.streams.serve_events import event_counts, tail_events
from workbench.jobs.folder import job_folder, job_ids, new_job_id, read_json, write_json
from workbench.jobs.process import alive, process_facts, spawn, terminate
from workbench.media.health import HEALTH_FILE, StreamHealth, read_health
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require

CAMERAS_FILE, INFO_FILE, OUTPUT_DIR, LOG_FILE, EVENTS_FILE = (
    "cameras.yaml", "info.json", "output", "log.txt", "events.jsonl")
SERVE_STATE_FILE = "serve.json"  # written by serve when it supports reloading its cameras file
STALE_AFTER_S = 5.0  # a camera whose health is older than this while serve runs is "not reporting"
STOP_TIMEOUT_S = 45.0  # serve gives each camera up to 30 s to close its files


@dataclass
class ServeStatus:
    """One serve as the Cameras page shows it."""

    id: str
    kind: str  # app | cli
    state: str  # running | stopping | stopped | crashed
    started: str = ""
    pipeline: str = ""
    cameras: list[dict[str, str]] = field(default_factory=list)  # id + redacted url
    out: str = ""
    health: list[StreamHealth] = field(default_factory=list)  # one per camera, in the cameras' order
    not_reporting: list[str] = field(default_factory=list)  # camera ids whose health is stale while serve runs
    events: dict[str, int] = field(default_factory=dict)  # events so far per camera
    reload_problems: list[str] = field(default_factory=list)  # why serve refused the last edit of its cameras file
    exit_code: int | None = None
    local: bool = True  # started on this machine: can be stopped from here

    @property
    def alive(self) -> bool:
        return self.state in ("running", "stopping")

    @property
    def finished(self) -> bool:
        return not self.alive


# -- folders ---------------------------------------------------------------------------------------------------------
def serves_root() -> Path:
    return workbench_home() / "serve"


def serve_dir(serve_id: str) -> Path:
    """The serve's folder; KeyError for a malformed (e.g. from a URL) or unknown id."""
    return job_folder(serves_root(), serve_id, marker=INFO_FILE)


def output_root(serve_id: str) -> Path:
    return Path((read_json(serve_dir(serve_id) / INFO_FILE) or {}).get("out") or serve_dir(serve_id) / OUTPUT_DIR)


def _process_facts(facts: dict[str, Any]) -> dict[str, Any]:
    return {**facts, "host": socket.gethostname()}


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


# -- checking what the user typed ------------------------------------------------------------------------------------
def check_cameras(pipeline: Path, cameras: list[dict[str, Any]]) -> dict[str, Any]:
    """The cameras file's content, checked as `workbench serve` checks it (same problem codes and fields, every
    camera's pipeline compiled without loading models); WorkbenchError listing the problems otherwise."""
    from workbench.engine.spec import load_spec
    from workbench.features.streams import cameras as serve_file

    data = {"pipeline": str(Path(pipeline).resolve()), "output": OUTPUT_DIR, "cameras": cameras}
    try:
        file = serve_file.ServeFile.model_validate(data)
    except ValidationError as exc:
        raise WorkbenchError([Problem("serve_file_invalid", field=".".join(str(x) for x in err["loc"]),
                                      params={"path": CAMERAS_FILE, "detail": err["msg"]})
                              for err in exc.errors()]) from None
    serve_file.check_cameras(load_spec(Path(file.pipeline)), serve_file.stream_registry(), file.cameras)
    return file.model_dump(exclude_defaults=True)  # serve fills in its own defaults


# -- starting and stopping -------------------------------------------------------------------------------------------
def start_serve(pipeline: Path, cameras: list[dict[str, Any]], actor: Actor | None = None) -> str:
    """Check the cameras, write the serve folder and spawn `workbench serve`; returns the serve id at once."""
    actor = require(actor, Permission.CAMERAS_START)
    data = check_cameras(pipeline, cameras)
    serve_id = new_job_id()
    folder = serves_root() / serve_id
    folder.mkdir(parents=True)
    fd = os.open(folder / CAMERAS_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        yaml.safe_dump(data, out, allow_unicode=True, sort_keys=False)
    info = {"id": serve_id, "kind": "app", "created": time.time(), "started": _now(), "pipeline": data["pipeline"],
            "cameras": [{"id": c["id"], "url": redact(c["url"])} for c in data["cameras"]],
            "out": str(folder / OUTPUT_DIR), "cameras_file": str(folder / CAMERAS_FILE), "started_by": actor.name}
    write_json(folder / INFO_FILE, info)
    cmd = [sys.executable, "-m", "workbench.apps.cli", "serve", str(folder / CAMERAS_FILE), "--out",
           str(folder / OUTPUT_DIR), "--quiet"]
    facts = spawn(cmd, folder / LOG_FILE, name=f"serve-{serve_id}")
    write_json(folder / INFO_FILE, {**info, **_process_facts(facts)})
    audit.record(actor, "cameras.start", serve_id, after={"pipeline": info["pipeline"], "cameras": info["cameras"]})
    return serve_id


def stop_serve(serve_id: str, timeout: float = STOP_TIMEOUT_S, actor: Actor | None = None) -> bool:
    """SIGTERM the serve and wait until it has closed every camera's files. False when it is not on this machine or
    had to be killed after `timeout`."""
    actor = require(actor, Permission.CAMERAS_START)
    folder = serve_dir(serve_id)
    info = read_json(folder / INFO_FILE) or {}
    if not _local(info):
        return False
    if not alive(info):
        return True  # already ended (or crashed): nothing to stop, and its state stays what it was
    write_json(folder / INFO_FILE, {**info, "stop_requested": _now()})
    audit.record(actor, "cameras.stop", serve_id, before={"pipeline": info.get("pipeline")})
    return terminate(info, timeout)


def _local(info: dict[str, Any]) -> bool:
    return info.get("host", socket.gethostname()) == socket.gethostname()


# -- a serve started from the command line ---------------------------------------------------------------------------
def announce(out_root: Path, cameras_file: Path, pid: int | None = None) -> str:
    """List a running `workbench serve` in the app; returns its serve id ("" when the workbench home cannot be
    written: serve runs on, unlisted). A serve the app started is already listed: its id is returned unchanged."""
    from workbench.features.streams.cameras import load_serve_file

    out_root = Path(out_root).resolve()
    if out_root.parent.parent == serves_root().resolve() and (out_root.parent / INFO_FILE).is_file():
        return out_root.parent.name  # started by start_serve
    file = load_serve_file(Path(cameras_file))
    serve_id = new_job_id()
    folder = serves_root() / serve_id
    try:
        folder.mkdir(parents=True)
        write_json(folder / INFO_FILE, {
            "id": serve_id, "kind": "cli", "created": time.time(), "started": _now(),
            "pipeline": str((Path(cameras_file).parent / file.pipeline).resolve()),
            "cameras": [{"id": c.id, "url": redact(c.url)} for c in file.cameras], "out": str(out_root),
            "cameras_file": str(Path(cameras_file).resolve()), **_process_facts(process_facts(pid or os.getpid()))})
    except OSError:
        return ""
    return serve_id


def withdraw(serve_id: str, exit_code: int) -> None:
    """Record that the serve ended by itself (not a crash), with its exit code; it stays listed as stopped."""
    with contextlib.suppress(KeyError, OSError):
        path = serve_dir(serve_id) / INFO_FILE
        write_json(path, {**(read_json(path) or {}), "ended": _now(), "exit_code": exit_code})


# -- reading state ---------------------------------------------------------------------------------------------------
def _age_s(iso: str) -> float | None:
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return (datetime.now(timezone.utc) - when).total_seconds()


def serve_status(serve_id: str) -> ServeStatus:
    """State, per-camera health and event counts, from the serve's files and one process lookup."""
    info = read_json(serve_dir(serve_id) / INFO_FILE) or {}
    running = alive(info)
    if running:
        state = "stopping" if info.get("stop_requested") else "running"
    else:
        state = "stopped" if info.get("stop_requested") or info.get("ended") else "crashed"
    out = Path(info.get("out") or serve_dir(serve_id) / OUTPUT_DIR)
    reported = {h.camera: h for h in read_health(out / HEALTH_FILE)}
    cameras = info.get("cameras") or []
    health = [reported.pop(c["id"], None) or StreamHealth(camera=c["id"], url=c.get("url", ""), state="starting")
              for c in cameras] + list(reported.values())  # cameras added by a reload come last
    stale = [h.camera for h in health if running and h.updated and (_age_s(h.updated) or 0.0) > STALE_AFTER_S]
    return ServeStatus(id=serve_id, kind=info.get("kind", "app"), state=state, started=info.get("started", ""),
                       pipeline=info.get("pipeline", ""), cameras=cameras, out=str(out), health=health,
                       not_reporting=stale, events=event_counts(out / EVENTS_FILE), exit_code=info.get("exit_code"),
                       local=_local(info), reload_problems=_reload_problems(out))


def _reload_problems(out: Path) -> list[str]:
    """`where: message` of each problem of the last refused reload (serve.json's reload_error), if serve writes it."""
    state = read_json(out / SERVE_STATE_FILE)
    problems = state.get("reload_error") if isinstance(state, dict) else None
    return [f"{p.get('node') or p.get('field') or 'cameras'}: {p.get('message', '')}"
            for p in problems or [] if isinstance(p, dict)]


def list_serves() -> list[ServeStatus]:
    """Every serve, running ones first, newest first within each."""
    statuses = [serve_status(i) for i in job_ids(serves_root(), marker=INFO_FILE)]
    return sorted(statuses, key=lambda s: not s.alive)


def latest_events(serve_id: str, camera: str, limit: int = 10) -> list[dict[str, Any]]:
    """The newest `limit` events of one camera of a serve (newest first)."""
    return tail_events(output_root(serve_id) / EVENTS_FILE, camera, limit)
