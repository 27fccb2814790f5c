"""Run one pipeline over many clips as Ray tasks and gather everything into one output folder.

    <out>/batch_summary.json    every clip: status, frames, fps, events, attempts, node, error (+ totals, nodes)
    <out>/events.jsonl          every event of every clip, each with "clip"
    <out>/<clip>/               the clip's own run folder (summary.json, events, snapshots, video...), or error.json

The summary and the events file are rewritten / appended as each clip finishes, so an interrupted batch keeps what
was done.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.features.batch.cluster import ray_session
from workbench.features.batch.report import (
    ERROR_FILE,
    EVENTS_FILE,
    ClipRecord,
    append_events,
    problem_text,
    write_summary,
)
from workbench.features.batch.sources import Clip, expand_sources
from workbench.features.batch.task import ClipFailed, run_clip

ClipDone = Callable[[ClipRecord, int, int], None]  # the record, clips finished, clips in the batch


@dataclass
class BatchOptions:
    out_dir: Path
    ray_address: str | None = None  # None: a private local Ray with `workers` CPUs
    workers: int | None = None  # local: Ray CPUs (default: this machine's cores); cluster: most clips in flight
    retries: int = 2  # extra attempts per clip after a failure
    stride: int | None = None
    max_frames: int | None = None
    on_clip_done: ClipDone | None = None
    on_start: Callable[[int], None] | None = None  # called with the number of clips once everything checked out
    header: dict[str, Any] = field(default_factory=dict)


def _check(opts: BatchOptions) -> None:
    problems = []
    if opts.workers is not None and opts.workers < 1:
        problems.append(Problem("batch_bad_workers", field="--workers", params={"value": opts.workers}))
    if opts.retries < 0:
        problems.append(Problem("batch_bad_retries", field="--retries", params={"value": opts.retries}))
    if problems:
        raise WorkbenchError(problems)


def prepare(pipeline: str | Path, sources: list[str], opts: BatchOptions) -> tuple[dict[str, Any], list[Clip]]:
    """Everything a user can get wrong, checked before Ray starts: options, pipeline, sources, output folder."""
    from workbench.core.registry import default_registry
    from workbench.engine.graph import compile_pipeline
    from workbench.engine.runner import RunOptions, override_source, prepare_out_dir
    from workbench.engine.spec import load_spec

    _check(opts)
    spec = load_spec(pipeline)
    clips = expand_sources(sources, check_local=not opts.ray_address)
    registry = default_registry()
    trial = override_source(spec, registry, RunOptions(out_dir=opts.out_dir, source=clips[0].source,
                                                       stride=opts.stride))
    compile_pipeline(trial, registry, load=False)  # every validation problem at once; no weights loaded here
    prepare_out_dir(opts.out_dir)
    return spec.to_dict(), clips


def run_batch(pipeline: str | Path, sources: list[str], opts: BatchOptions) -> dict[str, Any]:
    """Run every clip (retrying failures), write the output folder, return the batch summary."""
    began = time.perf_counter()
    spec_data, clips = prepare(pipeline, sources, opts)
    workers = opts.workers or (None if opts.ray_address else os.cpu_count() or 1)
    out = opts.out_dir
    (out / EVENTS_FILE).unlink(missing_ok=True)
    header = {"pipeline": str(pipeline), "pipeline_name": spec_data.get("meta", {}).get("name", ""),
              "ray_address": opts.ray_address or "local", "workers": workers, "retries": opts.retries,
              "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), **opts.header}
    records = [ClipRecord(clip=c.name, source=c.source) for c in clips]
    header["prepare_s"] = round(time.perf_counter() - began, 3)  # loading blocks, checking pipeline and sources
    write_summary(out, header, records)
    if opts.on_start:
        opts.on_start(len(clips))
    with ray_session(opts.ray_address, workers or 1) as ray:
        header["ray_start_s"] = round(time.perf_counter() - began - header["prepare_s"], 3)
        # Retries are the driver's own (not Ray's max_retries): it knows each clip's attempt number exactly
        task = ray.remote(run_clip).options(num_cpus=1, max_retries=0, scheduling_strategy="SPREAD")
        waiting = list(range(len(clips)))
        running: dict[Any, int] = {}
        tries = [0] * len(clips)
        done = 0
        limit = workers if opts.ray_address and workers else len(clips)  # local: Ray's CPUs limit it
        try:
            while waiting or running:
                while waiting and len(running) < limit:
                    i = waiting.pop(0)
                    tries[i] += 1
                    running[task.remote(spec_data, clips[i].source, clips[i].name, opts.stride, opts.max_frames)] = i
                finished, _ = ray.wait(list(running), num_returns=1)
                i = running.pop(finished[0])
                if not _gather(ray, finished[0], clips[i], records[i], out, tries[i], opts.retries):
                    waiting.insert(0, i)  # failed with attempts left: again, before the clips not started yet
                    continue
                done += 1
                write_summary(out, {**header, "seconds": round(time.perf_counter() - began, 3)}, records)
                if opts.on_clip_done:
                    opts.on_clip_done(records[i], done, len(clips))
        except KeyboardInterrupt:
            for ref in running:
                ray.cancel(ref, force=True)
            for r in records:
                if r.status == "pending":
                    r.status = "cancelled"
            raise
        finally:
            header["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
            header["seconds"] = round(time.perf_counter() - began, 3)
            summary = write_summary(out, header, records)
    return summary


def _gather(ray: Any, ref: Any, clip: Clip, record: ClipRecord, out: Path, attempt: int, retries: int) -> bool:
    """Write a finished clip's files into <out>/<clip>/ and fill its record; False = failed, to be tried again."""
    from ray.exceptions import RayTaskError

    try:
        result = ray.get(ref)
    except RayTaskError as exc:
        cause = exc.cause if isinstance(getattr(exc, "cause", None), ClipFailed) else None
        info = cause.info if cause else {"problems": [{"code": "block_crashed", "params": {"detail": str(exc)[:500]}}]}
        return _failed(record, out, clip.name, info, attempt, retries)
    except Exception as exc:
        info = {"problems": [{"code": "batch_worker_lost", "params": {"detail": f"{type(exc).__name__}: {exc}"[:500]}}]}
        return _failed(record, out, clip.name, info, attempt, retries)
    folder = _fresh_folder(out, clip.name, record)
    for rel, data in result["files"].items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    summary = result["summary"]
    append_events(out, clip.name, result["events"])
    record.status = summary.get("status", "done")
    record.frames = int(summary.get("frames", 0))
    record.fps = float(summary.get("processing_fps", 0.0))
    record.events = int(summary.get("event_total", 0))
    record.event_counts = summary.get("events", {})
    record.attempts = attempt
    record.node_id, record.pid, record.seconds = result.get("node_id", ""), result.get("pid"), result["seconds"]
    return True


def _fresh_folder(out: Path, name: str, record: ClipRecord) -> Path:
    folder = out / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    record.folder = name
    return folder


def _failed(record: ClipRecord, out: Path, name: str, info: dict[str, Any], attempt: int, retries: int) -> bool:
    """Record a failed attempt; only the last one (no retries left) is written as the clip's result."""
    record.attempts = attempt
    if attempt <= retries:
        return False
    folder = _fresh_folder(out, name, record)
    record.status = "failed"
    record.error_code, record.error = problem_text(info.get("problems", []))
    record.node_id, record.pid, record.seconds = info.get("node_id", ""), info.get("pid"), info.get("seconds", 0.0)
    (folder / ERROR_FILE).write_text(json.dumps({**info, "attempts": attempt, "retries": retries},
                                                indent=2, ensure_ascii=False), encoding="utf-8")
    return True
