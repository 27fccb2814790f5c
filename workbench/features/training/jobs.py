"""Background trainings: a detached worker process per job folder `<home>/training/<job id>/`, like pipeline runs
(`workbench.jobs.runs`). The page and the CLI start a job, follow progress.json, may cancel, and find it again after a
refresh. A job folder holds:

    request.json     the TrainConfig, the data.yaml path, start time
    worker.json      pid and start time of the worker
    worker.log       ultralytics' and the worker's output
    progress.json    epoch, epochs, batch, losses, mAP50, per-epoch history (rewritten as training goes)
    result.json      TrainResult: state done|cancelled, MLflow run id, registered version, warnings
    problems.json    what stopped the training (bad dataset, base model, crash)
    cancel           present when the user asked to stop
    ultralytics/     ultralytics' own folder (weights, results.csv, plots); model/ what was registered

Run it by hand: `python -m workbench.features.training.jobs <job folder>`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.paths import workbench_home
from workbench.features.training.config import TrainConfig
from workbench.jobs.runs import (
    is_run_id,
    new_job_id,
    problem_from_json,
    read_json,
    worker_alive,
    worker_exit,
    write_json,
)

REQUEST_FILE, WORKER_FILE, LOG_FILE, PROGRESS_FILE = "request.json", "worker.json", "worker.log", "progress.json"
RESULT_FILE, PROBLEMS_FILE, CANCEL_FILE = "result.json", "problems.json", "cancel"
FINISHED_STATES = frozenset({"done", "cancelled", "error", "lost"})
SPAWN_GRACE_S = 60.0


@dataclass
class TrainingStatus:
    """What the page and the CLI show about one training job, read from its folder."""

    id: str
    state: str  # queued | running | done | cancelled | error | lost
    progress: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    problems: list[Problem] = field(default_factory=list)
    request: dict[str, Any] = field(default_factory=dict)
    cancel_requested: bool = False

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES


def trainings_root() -> Path:
    return workbench_home() / "training"


def job_dir(job_id: str) -> Path:
    """The job's folder; KeyError for a malformed or unknown id."""
    if not is_run_id(job_id) or not (trainings_root() / job_id).is_dir():
        raise KeyError(job_id)
    return trainings_root() / job_id


def start_training(config: TrainConfig, data_yaml: str | Path) -> str:
    """Write the job folder and spawn its worker; returns the job id at once."""
    job_id = new_job_id()
    folder = trainings_root() / job_id
    folder.mkdir(parents=True)
    write_json(folder / REQUEST_FILE, {
        "id": job_id, "created": time.time(), "started": datetime.now().astimezone().isoformat(timespec="seconds"),
        "data_yaml": str(Path(data_yaml).expanduser().resolve()), "config": config.model_dump()})
    env = {**os.environ, "WORKBENCH_HOME": str(workbench_home()), "PYTHONUNBUFFERED": "1"}
    with open(folder / LOG_FILE, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "workbench.features.training.jobs", str(folder)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, env=env, cwd=str(folder))
    try:
        created = psutil.Process(proc.pid).create_time()
    except psutil.Error:
        created = 0.0
    write_json(folder / WORKER_FILE, {"pid": proc.pid, "create_time": created})
    threading.Thread(target=proc.wait, name=f"reap-train-{job_id}", daemon=True).start()
    return job_id


def cancel_training(job_id: str) -> None:
    """Ask the worker to stop after the current batch; nothing gets registered."""
    (job_dir(job_id) / CANCEL_FILE).touch()


def training_status(job_id: str) -> TrainingStatus:
    folder = job_dir(job_id)
    request = read_json(folder / REQUEST_FILE) or {}
    progress = read_json(folder / PROGRESS_FILE) or {}
    result = read_json(folder / RESULT_FILE)
    problems = [problem_from_json(p) for p in read_json(folder / PROBLEMS_FILE) or []]
    worker = read_json(folder / WORKER_FILE)
    if worker_alive(worker):
        state = "running" if progress else "queued"
    elif result is not None:
        state = result.get("state", "done")
    elif problems:
        state = "error"
    elif worker is None and time.time() - float(request.get("created", 0)) < SPAWN_GRACE_S:
        state = "queued"
    else:
        state = "lost"
    return TrainingStatus(id=job_id, state=state, progress=progress, result=result, problems=problems,
                          request=request, cancel_requested=(folder / CANCEL_FILE).exists())


def list_trainings(limit: int | None = None) -> list[TrainingStatus]:
    """Every training job (or the newest `limit`), newest first."""
    root = trainings_root()
    ids = sorted((p.name for p in root.iterdir() if p.is_dir() and is_run_id(p.name)), reverse=True) \
        if root.is_dir() else []
    return [training_status(i) for i in ids[:limit]]


def safe_message(problem: Problem, lang: str | None = "en") -> str:
    """The problem's sentence; its code and parameters if the translation does not fit them (never raises)."""
    try:
        return problem.message(lang)
    except (KeyError, IndexError, ValueError):
        return f"{problem.code} {problem.params}"


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # train() marks the run KILLED and registers nothing


def work(folder: Path) -> int:
    """The worker: train as request.json says; exit code 0 when the training ended (done or cancelled)."""
    from workbench.features.training.trainer import train

    signal.signal(signal.SIGTERM, _interrupt)
    request = read_json(folder / REQUEST_FILE) or {}
    cancel = folder / CANCEL_FILE
    problems: list[Problem] = []
    try:
        config = TrainConfig(**request.get("config", {}))
        result = train(config, request["data_yaml"], folder, run_name=f"{config.model_name} {folder.name}",
                       on_progress=lambda p: write_json(folder / PROGRESS_FILE, asdict(p)),
                       should_stop=cancel.exists)
        write_json(folder / RESULT_FILE, result.to_json())
        for p in result.warnings:
            print(f"warning: {p.where()}: {safe_message(p)}", file=sys.stderr)
    except WorkbenchError as exc:
        problems = list(exc.problems)
    except Exception as exc:  # a defect: traceback in the log, one line on the page
        traceback.print_exc()
        problems = [Problem("training_failed", params={"detail": f"{type(exc).__name__}: {exc}"[:300]})]
    return worker_exit(folder, problems, describe=safe_message)


if __name__ == "__main__":
    sys.exit(work(Path(sys.argv[1])))
