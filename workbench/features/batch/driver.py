"""Run one pipeline over many clips on a pool of Ray workers and gather everything into one output folder.

    <out>/batch_summary.json    every clip: status, frames, fps, events, attempts, node, error (+ totals, nodes)
    <out>/events.jsonl          every event of every clip, each with "clip"
    <out>/<clip>/               the clip's own run folder (summary.json, events, snapshots, video...), or error.json

Each worker (`task.ClipWorker`, pooled in `pool.WorkerPool`) loads the pipeline once and writes each clip's folder
itself, so the output folder must be one every worker sees at the same path: any local folder for a local Ray, a
shared folder (NFS...) on a cluster of several machines (checked at start). The summary and the events file are
rewritten / appended by the driver as each clip finishes, so an interrupted batch keeps what was done.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.paths import write_atomic
from workbench.features.batch.cluster import ray_session
from workbench.features.batch.pool import WorkerPool
from workbench.features.batch.report import (
    ERROR_FILE,
    EVENTS_FILE,
    ClipRecord,
    append_events,
    problem_text,
    store_clip_events,
    write_summary,
)
from workbench.features.batch.sources import Clip, expand_sources
from workbench.features.batch.task import CHECK_FILE, fresh_folder

ClipDone = Callable[[ClipRecord, int, int], None]  # the record, clips finished, clips in the batch


@dataclass
class BatchOptions:
    out_dir: Path
    ray_address: str | None = None  # None: a private local Ray with `workers` CPUs
    workers: int | None = None  # workers (Ray actors, one CPU each); local default: cores; cluster: its CPUs
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
              "pipeline_version": spec_data.get("meta", {}).get("version", ""),
              "ray_address": opts.ray_address or "local", "workers": workers, "retries": opts.retries,
              "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), **opts.header}
    records = [ClipRecord(clip=c.name, source=c.source) for c in clips]
    header["prepare_s"] = round(time.perf_counter() - began, 3)  # loading blocks, checking pipeline and sources
    write_summary(out, header, records)
    if opts.on_start:
        opts.on_start(len(clips))
    token = secrets.token_hex(16)
    write_atomic(out / CHECK_FILE, token)  # every worker must read this token in the output folder it writes to
    try:
        with ray_session(opts.ray_address, workers or 1) as ray:
            header["ray_start_s"] = round(time.perf_counter() - began - header["prepare_s"], 3)
            size = min(len(clips), workers or _cluster_cpus(ray))
            header["actors"] = size
            pool = WorkerPool(ray, size, (spec_data, str(out.resolve()), opts.stride, opts.max_frames), token,
                              out.resolve())
            try:
                _run_clips(pool, clips, records, opts, lambda: {**header, "seconds": _since(began)})
            except BaseException:  # stopped (Ctrl+C, SIGTERM), or a worker cannot see the output folder
                running = pool.running()
                pool.stop()
                for i, r in enumerate(records):
                    if r.status == "pending":
                        r.status, r.folder = "cancelled", clips[i].name if i in running else ""
                raise
            finally:
                header["workers_replaced"] = pool.replaced
    finally:
        (out / CHECK_FILE).unlink(missing_ok=True)
        header["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        header["seconds"] = _since(began)
        summary = write_summary(out, header, records)
    return summary


def _since(began: float) -> float:
    return round(time.perf_counter() - began, 3)


def _cluster_cpus(ray: Any) -> int:
    """A cluster without --workers: one worker per CPU of the cluster."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _run_clips(pool: WorkerPool, clips: list[Clip], records: list[ClipRecord], opts: BatchOptions,
               header: Callable[[], dict[str, Any]]) -> None:
    """Give each free worker the next clip (a failed one again first) until every clip is done or failed."""
    waiting = list(range(len(clips)))
    tries = [0] * len(clips)
    done = 0
    while waiting or pool.running():
        for slot in pool.idle():
            if not waiting:
                break
            i = waiting.pop(0)
            tries[i] += 1
            pool.submit(slot, i, clips[i].source, clips[i].name)
        outcome = pool.next_outcome()
        if outcome is None:  # a worker became ready
            continue
        i = outcome.clip
        if outcome.failure is not None:
            if not _failed(records[i], opts.out_dir, clips[i].name, outcome.failure, tries[i], opts.retries):
                waiting.insert(0, i)  # attempts left: again, before the clips not started yet
                continue
        else:
            _gather(outcome.result or {}, clips[i], records[i], opts.out_dir, tries[i])
            store_clip_events(opts.out_dir, header(), clips[i].name, (outcome.result or {}).get("events", []))
        done += 1
        write_summary(opts.out_dir, header(), records)
        if opts.on_clip_done:
            opts.on_clip_done(records[i], done, len(clips))


def _gather(result: dict[str, Any], clip: Clip, record: ClipRecord, out: Path, attempt: int) -> None:
    """A finished clip (its worker wrote <out>/<clip>/): its events into the batch's file, its record filled."""
    summary = result["summary"]
    append_events(out, clip.name, result["events"])
    record.folder = clip.name
    record.status = summary.get("status", "done")
    record.frames = int(summary.get("frames", 0))
    record.fps = float(summary.get("processing_fps", 0.0))
    record.events = int(summary.get("event_total", 0))
    record.event_counts = summary.get("events", {})
    record.attempts = attempt
    record.node_id, record.pid, record.seconds = result.get("node_id", ""), result.get("pid"), result["seconds"]


def _failed(record: ClipRecord, out: Path, name: str, info: dict[str, Any], attempt: int, retries: int) -> bool:
    """Record a failed attempt; only the last one (no retries left) is written as the clip's result."""
    record.attempts = attempt
    if attempt <= retries:
        return False
    folder = out / name
    fresh_folder(folder)  # what the failed attempt wrote is replaced by the error
    record.folder = name
    record.status = "failed"
    record.error_code, record.error = problem_text(info.get("problems", []))
    record.node_id, record.pid, record.seconds = info.get("node_id", ""), info.get("pid"), info.get("seconds", 0.0)
    (folder / ERROR_FILE).write_text(json.dumps({**info, "attempts": attempt, "retries": retries},
                                                indent=2, ensure_ascii=False), encoding="utf-8")
    return True
