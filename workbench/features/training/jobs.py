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

import sys
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.paths import workbench_home
from workbench.features.training.config import TrainConfig
from workbench.jobs import folder as jf
from workbench.jobs.process import interrupt_on_sigterm
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require

REQUEST_FILE, WORKER_FILE, LOG_FILE, PROGRESS_FILE = jf.REQUEST_FILE, jf.WORKER_FILE, jf.LOG_FILE, jf.PROGRESS_FILE
RESULT_FILE, PROBLEMS_FILE, CANCEL_FILE = "result.json", jf.PROBLEMS_FILE, jf.CANCEL_FILE
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
    return jf.job_folder(trainings_root(), job_id)


def start_training(config: TrainConfig, data_yaml: str | Path, actor: Actor | None = None) -> str:
    """Write the job folder and spawn its worker on behalf of `actor` (None: the OS user); returns the job id."""
    actor = require(actor, Permission.TRAINING_START)
    job_id, folder = jf.create_job(trainings_root(), {
        "data_yaml": str(Path(data_yaml).expanduser().resolve()), "config": config.model_dump(),
        "started_by": actor.name})
    jf.start_worker(folder, "workbench.features.training.jobs", cwd=folder)
    audit.record(actor, "training.start", job_id, after={"data_yaml": str(data_yaml), "config": config.model_dump()})
    return job_id


def cancel_training(job_id: str, actor: Actor | None = None) -> None:
    """Ask the worker to stop after the current batch; nothing gets registered."""
    actor = require(actor, Permission.TRAINING_START)
    jf.request_cancel(job_dir(job_id))
    audit.record(actor, "training.cancel", job_id)


def training_status(job_id: str) -> TrainingStatus:
    folder = job_dir(job_id)
    result = jf.read_json(folder / RESULT_FILE)
    job = jf.read_job(folder)
    state = job.state(bool(job.progress), None if result is None else result.get("state", "done"), SPAWN_GRACE_S)
    return TrainingStatus(id=job_id, state=state, progress=job.progress, result=result, problems=job.problems,
                          request=job.request, cancel_requested=job.cancel_requested)


def list_trainings(limit: int | None = None) -> list[TrainingStatus]:
    """Every training job (or the newest `limit`), newest first."""
    return [training_status(i) for i in jf.job_ids(trainings_root())[:limit]]


def safe_message(problem: Problem, lang: str | None = "en") -> str:
    """The problem's sentence; its code and parameters if the translation does not fit them (never raises)."""
    try:
        return problem.message(lang)
    except (KeyError, IndexError, ValueError):
        return f"{problem.code} {problem.params}"


def work(folder: Path) -> int:
    """The worker: train as request.json says; exit code 0 when the training ended (done or cancelled)."""
    from workbench.features.training.trainer import train

    interrupt_on_sigterm()  # train() marks the run KILLED and registers nothing
    request = jf.read_json(folder / REQUEST_FILE) or {}
    problems: list[Problem] = []
    try:
        config = TrainConfig(**request.get("config", {}))
        result = train(config, request["data_yaml"], folder, run_name=f"{config.model_name} {folder.name}",
                       on_progress=lambda p: jf.write_json(folder / PROGRESS_FILE, asdict(p)),
                       should_stop=jf.cancel_check(folder))
        jf.write_json(folder / RESULT_FILE, result.to_json())
        for p in result.warnings:
            print(f"warning: {p.where()}: {safe_message(p)}", file=sys.stderr)
    except WorkbenchError as exc:
        problems = list(exc.problems)
    except Exception as exc:  # a defect: traceback in the log, one line on the page
        traceback.print_exc()
        problems = [Problem("training_failed", params={"detail": f"{type(exc).__name__}: {exc}"[:300]})]
    return jf.worker_exit(folder, problems, describe=safe_message)


if __name__ == "__main__":
    sys.exit(work(Path(sys.argv[1])))
