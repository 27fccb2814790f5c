"""A job folder: one background job's request and state as small files that any process can read at any time.

Pipeline runs (`workbench.jobs.runs`) and trainings (`workbench.features.training.jobs`) keep this layout, each under
its own root and with its own files beside these:

    request.json     what was asked, plus id, created (epoch seconds) and started (ISO 8601, local time)
    worker.json      pid and process start time of the worker (`workbench.jobs.process.process_facts`)
    worker.log       the worker's stdout/stderr
    progress.json    how far it got (each kind writes its own fields)
    problems.json    what stopped it, when something did
    cancel           present when the user asked to stop

A job id is `YYYYMMDD-HHMMSS-xxxx` (local time, 4 random hex digits): sorted by name, newest last.
"""

from __future__ import annotations

import json
import re
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem
from workbench.core.i18n import LANGUAGES
from workbench.core.paths import write_atomic
from workbench.engine.credentials import redacted
from workbench.jobs.process import alive, spawn

REQUEST_FILE, WORKER_FILE, LOG_FILE = "request.json", "worker.json", "worker.log"
PROGRESS_FILE, PROBLEMS_FILE, CANCEL_FILE = "progress.json", "problems.json", "cancel"
_JOB_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4}$")


# -- ids and folders -------------------------------------------------------------------------------------------------
def new_job_id() -> str:
    return f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def is_job_id(value: str) -> bool:
    return bool(_JOB_ID.match(value or ""))


def job_folder(root: Path, job_id: str, marker: str | None = None) -> Path:
    """`root/job_id`; KeyError for an id that is malformed (e.g. from a URL) or unknown (no folder, or no `marker`
    file in it)."""
    folder = root / job_id
    if not is_job_id(job_id) or not _is_job(folder, marker):
        raise KeyError(job_id)
    return folder


def _is_job(folder: Path, marker: str | None) -> bool:
    return (folder / marker).is_file() if marker else folder.is_dir()


def job_ids(root: Path, marker: str | None = None) -> list[str]:
    """The ids of the job folders under `root` (with a `marker` file, when given), newest first."""
    if not root.is_dir():
        return []
    return sorted((p.name for p in root.iterdir() if is_job_id(p.name) and _is_job(p, marker)), reverse=True)


def create_job(root: Path, request: dict[str, Any], private: bool = False) -> tuple[str, Path]:
    """A new job folder under `root` with its request.json (`request` after id, created and started)."""
    job_id = new_job_id()
    folder = root / job_id
    folder.mkdir(parents=True)
    write_json(folder / REQUEST_FILE, {
        "id": job_id, "created": time.time(), "started": datetime.now().astimezone().isoformat(timespec="seconds"),
        **request}, private=private)
    return job_id, folder


def start_worker(folder: Path, module: str, cwd: str | Path | None = None) -> dict[str, Any]:
    """Spawn `python -m <module> <folder>` detached, logging to worker.log; its pid + start time go to worker.json."""
    facts = spawn([sys.executable, "-m", module, str(folder)], folder / LOG_FILE, cwd=cwd, name=folder.name)
    write_json(folder / WORKER_FILE, facts)
    return facts


# -- small file helpers ----------------------------------------------------------------------------------------------
def write_json(path: Path, data: Any, private: bool = False) -> None:
    """Atomic: readers never see half a file. `private`: readable by this user only (it may hold a camera password)."""
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=1, default=str), private)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def problem_to_json(problem: Problem) -> dict[str, Any]:
    """A problem as stored in a run or job folder: passwords in its details are hidden."""
    problem = Problem(code=problem.code, node=problem.node, field=problem.field, severity=problem.severity,
                      params=redacted(problem.params))
    return {"code": problem.code, "node": problem.node, "field": problem.field, "severity": problem.severity,
            "params": problem.params, "messages": {lang: problem.message(lang) for lang in LANGUAGES}}


def problem_from_json(data: dict[str, Any]) -> Problem:
    return Problem(code=data.get("code", "block_crashed"), node=data.get("node"), field=data.get("field"),
                   params=data.get("params") or {}, severity=data.get("severity", "error"))


# -- cancelling ------------------------------------------------------------------------------------------------------
def request_cancel(folder: Path) -> None:
    """Ask the job's worker to stop at its next check (the `cancel` flag file)."""
    (folder / CANCEL_FILE).touch()


def cancel_requested(folder: Path) -> bool:
    return (folder / CANCEL_FILE).exists()


def cancel_check(folder: Path) -> Callable[[], bool]:
    """What the worker polls (a runner's or trainer's `should_stop`): True once the user asked to stop."""
    return (folder / CANCEL_FILE).exists


# -- reading state ---------------------------------------------------------------------------------------------------
@dataclass
class JobFiles:
    """The shared files of one job folder, read once; `alive` is looked up last."""

    request: dict[str, Any] = field(default_factory=dict)
    worker: dict[str, Any] | None = None
    progress: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    cancel_requested: bool = False
    alive: bool = False

    def state(self, working: bool, outcome: str | None, grace_s: float) -> str:
        """queued | running while the worker lives (running once `working`); after: the worker's own `outcome`, else
        error (it left problems), else queued (just created, the worker not recorded yet), else lost."""
        if self.alive:
            return "running" if working else "queued"
        if outcome is not None:
            return outcome
        if self.problems:
            return "error"
        if self.worker is None and time.time() - float(self.request.get("created", 0)) < grace_s:
            return "queued"
        return "lost"


def read_job(folder: Path) -> JobFiles:
    files = JobFiles(request=read_json(folder / REQUEST_FILE) or {}, worker=read_json(folder / WORKER_FILE),
                     progress=read_json(folder / PROGRESS_FILE) or {},
                     problems=[problem_from_json(p) for p in read_json(folder / PROBLEMS_FILE) or []],
                     cancel_requested=cancel_requested(folder))
    files.alive = alive(files.worker)
    return files


# -- the worker's side -----------------------------------------------------------------------------------------------
def worker_exit(folder: Path, problems: list[Problem],
                describe: Callable[[Problem], str] = lambda p: p.message("en")) -> int:
    """A worker's last step: its problems to problems.json (for the page) and the log; exit code 1 if any."""
    if problems:
        write_json(folder / PROBLEMS_FILE, [problem_to_json(p) for p in problems])
        for p in problems:
            print(f"{p.where()}: {describe(p)}", file=sys.stderr)
    return 1 if problems else 0
