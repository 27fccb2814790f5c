"""The Ray task of a batch: run the pipeline on one clip (a path, never frames) and hand back its result folder.

The task runs `workbench.engine.runner.run_pipeline` into a scratch folder on whichever node runs it, then returns the
folder's files (bytes), its summary and every event, so the driver can gather them into one output folder without
shared storage. Any failure becomes `ClipFailed` (plain, picklable data: problem codes and parameters) so the driver
can retry it and can word the error in the user's language.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from workbench.core.errors import WorkbenchError


class ClipFailed(Exception):
    """A clip could not be processed on one attempt: `info` = problems, attempt, node, seconds, partial summary."""

    def __init__(self, info: dict[str, Any]):
        super().__init__(info)
        self.info = info

    def __str__(self) -> str:
        return "; ".join(f"{p['code']}: {p['params']}" for p in self.info.get("problems", [])) or "failed"


def _where() -> dict[str, Any]:
    """The node and process running this task (the driver counts attempts itself)."""
    import contextlib
    import os

    import ray

    info: dict[str, Any] = {"node_id": "", "pid": os.getpid()}
    with contextlib.suppress(Exception):  # outside Ray (tests calling run_clip directly): no node id
        info["node_id"] = ray.get_runtime_context().get_node_id()
    return info


def _problems(exc: BaseException) -> list[dict[str, Any]]:
    if isinstance(exc, WorkbenchError):
        return [{"code": p.code, "node": p.node, "field": p.field, "params": {k: str(v) for k, v in p.params.items()}}
                for p in exc.problems]
    return [{"code": "block_crashed", "node": None, "field": None,
             "params": {"detail": f"{type(exc).__name__}: {exc}"[:500]}}]


def _collect(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


THREADS_SETTING = "WORKBENCH_TASK_THREADS"


def limit_threads() -> int:
    """Cap OpenCV's and torch's thread pools in a batch task to its share of the node: WORKBENCH_TASK_THREADS, else
    the OMP_NUM_THREADS Ray sets to the task's CPUs; 0 leaves the libraries' defaults (one thread per core each,
    which oversubscribes the cores when every core runs a task). Returns the cap (0 = none)."""
    import os

    value = os.environ.get(THREADS_SETTING) or os.environ.get("OMP_NUM_THREADS") or "0"
    threads = int(value) if value.isdigit() else 0
    if threads > 0:
        import sys

        import cv2

        cv2.setNumThreads(threads)
        os.environ["OMP_NUM_THREADS"] = str(threads)  # torch reads it when first imported
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)
    return threads


def run_clip(spec_data: dict[str, Any], source: str, camera: str, stride: int | None = None,
             max_frames: int | None = None) -> dict[str, Any]:
    """Run one clip; returns {summary, events, files, node_id, pid, seconds} or raises ClipFailed."""
    from workbench.engine.runner import RunOptions, run_pipeline
    from workbench.engine.spec import parse_spec

    limit_threads()
    where = _where()
    began = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="wb-clip-"))
    out = scratch / "out"
    events: list[dict[str, Any]] = []

    def keep(node: str, raised: tuple) -> None:
        events.extend(e.to_dict() for e in raised)

    try:
        opts = RunOptions(out_dir=out, source=source, stride=stride, max_frames=max_frames, camera=camera,
                          on_events=keep)
        summary = run_pipeline(parse_spec(spec_data), opts)
        return {**where, "summary": summary, "events": events, "files": _collect(out),
                "seconds": round(time.perf_counter() - began, 3)}
    except Exception as exc:  # every failure is reported per clip; Ray decides about retries
        partial = out / "summary.json"
        raise ClipFailed({**where, "problems": _problems(exc), "seconds": round(time.perf_counter() - began, 3),
                          "summary": partial.read_text(encoding="utf-8") if partial.exists() else ""}) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
