"""Background runs: each run is a detached worker process writing into `<workbench home>/runs/<run id>/`.

The app starts a run and returns at once; the worker survives a browser refresh (and the page's script thread).
A run folder holds:

    pipeline.yaml    the spec as it was when the run started
    request.json     source, frame range, stride... (RunRequest) plus the pipeline name and start time
    worker.json      pid and process start time of the worker (to tell a live worker from a lost one)
    worker.log       the worker's stdout/stderr
    progress.json    frames done, frames expected, fps, ETA (rewritten a few times a second)
    problems.json    what stopped the run (validation/compile/source/block problems), when something did
    cancel           present when the user asked to stop
    output/          the runner's result folder: events, annotated video, snapshots, summary.json
    results.zip      the output folder zipped for download (made on first request)

Run it by hand: `python -m workbench.jobs.runs <run folder>`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.locations import redact
from workbench.core.paths import workbench_home
from workbench.engine.credentials import redacted_output
from workbench.engine.spec import NodeSpec, PipelineSpec, load_spec, save_spec
from workbench.jobs import folder as jf
from workbench.jobs.folder import (
    cancel_check,
    create_job,
    job_folder,
    job_ids,
    read_job,
    read_json,
    request_cancel,
    start_worker,
    worker_exit,
    write_json,
)
from workbench.jobs.process import interrupt_on_sigterm
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require

if TYPE_CHECKING:
    from workbench.core.registry import BlockRegistry
    from workbench.records.event_store import EventSource

REQUEST_FILE, WORKER_FILE, LOG_FILE, PIPELINE_FILE = jf.REQUEST_FILE, jf.WORKER_FILE, jf.LOG_FILE, "pipeline.yaml"
PROGRESS_FILE, PROBLEMS_FILE, CANCEL_FILE, OUTPUT_DIR, ZIP_FILE = (
    jf.PROGRESS_FILE, jf.PROBLEMS_FILE, jf.CANCEL_FILE, "output", "results.zip")
SUMMARY_FILE = "summary.json"
EVENTS_FILE = "events.jsonl"  # every event of every rule, written by the worker whatever sinks the pipeline has
FINISHED_STATES = frozenset({"done", "cancelled", "stopped_early", "error", "lost"})
PROGRESS_INTERVAL_S = 0.25
SPAWN_GRACE_S = 30.0  # a run without worker.json this long after it was created is lost


@dataclass(frozen=True)
class RunRequest:
    """What the user picked on the Run page; None keeps the pipeline's own setting."""

    source: str | None = None  # file path or stream URL replacing the source node's location
    stride: int | None = None
    start: float | None = None  # seconds
    end: float | None = None  # seconds
    max_frames: int | None = None
    camera: str = ""
    label: str = ""  # free text shown in the run list, e.g. the pipeline file name


@dataclass
class RunStatus:
    """Everything the Run page shows about one run, read from its folder."""

    id: str
    state: str  # queued | running | done | cancelled | stopped_early | error | lost
    frames: int = 0
    expected: int | None = None
    fps: float = 0.0
    eta_s: float | None = None
    started: str = ""  # ISO 8601, local time
    pipeline: str = ""
    source: str = ""
    label: str = ""
    summary: dict[str, Any] | None = None
    problems: list[Problem] = field(default_factory=list)
    cancel_requested: bool = False

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def event_total(self) -> int | None:
        return None if self.summary is None else int(self.summary.get("event_total", 0))


# -- where runs live -------------------------------------------------------------------------------------------------
def runs_root() -> Path:
    return workbench_home() / "runs"


def run_dir(run_id: str) -> Path:
    """The run's folder; KeyError for an id that is malformed (e.g. from a URL) or unknown."""
    return job_folder(runs_root(), run_id)


def output_dir(run_id: str) -> Path:
    return run_dir(run_id) / OUTPUT_DIR


# -- starting and stopping -------------------------------------------------------------------------------------------
def source_node(spec: PipelineSpec, registry: BlockRegistry | None = None) -> tuple[NodeSpec, str] | None:
    """The pipeline's source node and the name of its location setting (path/URL/folder), or None."""
    from workbench.core.block import SourceBlock
    from workbench.core.registry import default_registry

    registry = registry or default_registry()
    for node in spec.nodes:
        cls = registry.get(node.type)
        if cls is not None and issubclass(cls, SourceBlock):
            return node, cls.location_field
    return None


def _source_location(spec: PipelineSpec, request: RunRequest) -> str:
    """The path/URL the run will read: the request's source, else the pipeline's source node setting."""
    if request.source:
        return request.source
    found = source_node(spec)
    return str(found[0].config.get(found[1], "")) if found else ""


def start_run(spec: PipelineSpec, request: RunRequest, actor: Actor | None = None) -> str:
    """Write the run folder and spawn its worker on behalf of `actor` (None: the OS user); returns the run id."""
    actor = require(actor, Permission.RUNS_START)
    if request.source and "://" not in request.source:
        request = RunRequest(**{**asdict(request), "source": str(Path(request.source).expanduser().resolve())})
    run_id, folder = create_job(runs_root(), {
        "pipeline": spec.meta.name, "source": redact(_source_location(spec, request)), "request": asdict(request),
        "started_by": actor.name}, private=True)
    save_spec(spec, folder / PIPELINE_FILE, private=True)  # the worker needs the camera's password: owner only
    start_worker(folder, "workbench.jobs.runs")
    audit.record(actor, "run.start", run_id, after={"pipeline": spec.meta.name,
                                                    "source": redact(_source_location(spec, request))})
    return run_id


def cancel_run(run_id: str, actor: Actor | None = None) -> None:
    """Ask the worker to stop after the current frame; what was produced so far is kept."""
    actor = require(actor, Permission.RUNS_START)
    request_cancel(run_dir(run_id))
    audit.record(actor, "run.cancel", run_id)


# -- reading state ---------------------------------------------------------------------------------------------------


def run_status(run_id: str) -> RunStatus:
    """The run's state from its folder (cheap: a few small JSON files and one process lookup)."""
    folder = run_dir(run_id)
    summary = read_json(folder / OUTPUT_DIR / SUMMARY_FILE)
    job = read_job(folder)
    meta, progress = job.request, job.progress
    written = None if summary is None else summary.get("status")
    # "running": the runner rewrites summary.json while it works; a dead worker that left it so was killed (lost)
    outcome = None if summary is None or written == "running" else written if written in FINISHED_STATES else "error"
    status = RunStatus(id=run_id, state=job.state(bool(progress or summary), outcome, SPAWN_GRACE_S),
                       frames=int(progress.get("frames", 0)),
                       expected=progress.get("expected"), fps=float(progress.get("fps", 0.0)),
                       eta_s=progress.get("eta_s"), started=meta.get("started", ""),
                       pipeline=meta.get("pipeline", ""), source=meta.get("source", ""),
                       label=(meta.get("request") or {}).get("label", ""), summary=summary, problems=job.problems,
                       cancel_requested=job.cancel_requested)
    if summary is not None and not job.alive:
        status.frames = int(summary.get("frames", status.frames))
        status.fps = float(summary.get("processing_fps", status.fps))
        status.eta_s = None
    return status


def list_runs(limit: int | None = None) -> list[RunStatus]:
    """Every run (or the newest `limit`), newest first."""
    root = runs_root()
    created = {rid: float((read_json(root / rid / REQUEST_FILE) or {}).get("created", 0)) for rid in job_ids(root)}
    newest_first = sorted(created, key=lambda rid: (created[rid], rid), reverse=True)
    return [run_status(rid) for rid in newest_first[:limit]]


def results_zip(run_id: str) -> Path:
    """The output folder as one zip (made once; remade if the run changed since)."""
    folder = run_dir(run_id)
    target, out = folder / ZIP_FILE, folder / OUTPUT_DIR
    summary = out / SUMMARY_FILE
    if target.exists() and summary.exists() and target.stat().st_mtime >= summary.stat().st_mtime:
        return target
    out.mkdir(exist_ok=True)
    partial = Path(shutil.make_archive(str(folder / f".results-{os.getpid()}"), "zip", root_dir=out))
    partial.replace(target)
    return target


# -- the worker process ----------------------------------------------------------------------------------------------
class _ProgressWriter:
    """RunOptions.on_progress: writes progress.json at most every PROGRESS_INTERVAL_S (and on flush)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last_write = 0.0
        self.latest: dict[str, Any] | None = None

    def __call__(self, frames: int, expected: int | None, fps: float) -> None:
        eta = round((expected - frames) / fps, 1) if expected is not None and fps > 0 else None
        self.latest = {"frames": frames, "expected": expected, "fps": round(fps, 2), "eta_s": eta}
        now = time.monotonic()
        if now - self.last_write >= PROGRESS_INTERVAL_S:
            self.flush()
            self.last_write = now

    def flush(self) -> None:
        if self.latest is not None:
            write_json(self.path, {**self.latest, "updated": time.time()})


class _EventLog:
    """RunOptions.on_events: appends each event to the run's events.jsonl as it happens (nothing lost on a kill)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, node: str, events: tuple) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            for event in events:
                out.write(json.dumps(event.to_dict(), ensure_ascii=False) + "\n")


def events_file(run_id: str) -> Path:
    return run_dir(run_id) / EVENTS_FILE


def record_source(folder: Path, spec: PipelineSpec, camera: str) -> EventSource:
    """The event store's source of a run: `run:<run id>`; snapshot paths are under its output folder."""
    from workbench.engine.recording import source_for

    return source_for(spec, f"run:{folder.name}", camera, str((folder / OUTPUT_DIR).resolve()))


def work(folder: Path) -> int:
    """Run the pipeline of one run folder; problems go to problems.json. Exit code 0 = the pipeline ran."""
    from workbench.engine.runner import RunOptions, run_pipeline

    interrupt_on_sigterm()  # the runner treats it as a cancel and still writes summary.json
    meta = read_json(folder / REQUEST_FILE) or {}
    request = RunRequest(**meta.get("request", {}))
    progress = _ProgressWriter(folder / PROGRESS_FILE)
    problems: list[Problem] = []
    try:
        spec = load_spec(folder / PIPELINE_FILE)
        opts = RunOptions(out_dir=folder / OUTPUT_DIR, source=request.source, stride=request.stride,
                          start=request.start, end=request.end, max_frames=request.max_frames,
                          camera=request.camera, on_progress=progress, on_events=_EventLog(folder / EVENTS_FILE),
                          should_stop=cancel_check(folder), record=record_source(folder, spec, request.camera))
        run_pipeline(spec, opts)
    except WorkbenchError as exc:
        problems = list(exc.problems)
    except KeyboardInterrupt:
        pass  # stopped before the first frame: no summary; the state shows "lost"
    except Exception as exc:  # a defect: keep the traceback in the log, show one line on the page
        traceback.print_exc()
        problems = [Problem("block_crashed", params={"detail": f"{type(exc).__name__}: {exc}"})]
    finally:
        progress.flush()
    return worker_exit(folder, problems)


if __name__ == "__main__":
    with redacted_output():  # FFmpeg and OpenCV print camera addresses: the log keeps them without passwords
        code = work(Path(sys.argv[1]))
    sys.exit(code)
