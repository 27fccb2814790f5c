"""The Ray actor of a batch: the pipeline compiled and its models loaded once per worker, then clip after clip.

`ClipWorker` lives in its own process (a Ray actor holding one CPU). Its first clip compiles the pipeline and loads
every block (model weights, the tracker's library) once; each later clip only builds its own source block (the clip's
path, checked like any pipeline) and opens a fresh stream (`CompiledPipeline.open_stream`: every block's state is the
clip's own), so nothing of one clip leaks into the next.

Results are written directly into `<out>/<clip>/`, the folder the driver reports from: a local folder on one machine;
on a cluster of several machines a shared folder (NFS, SMB...) mounted at the same path on every node. `check_out`
proves that at start: the driver writes a random token into `<out>/.batch-check`, every worker must read the same
token there and write a file beside it. Only the clip's summary and its events (plain data) go back to the driver.
Any failure of a clip becomes `ClipFailed` (problem codes and parameters, picklable) so the driver can retry it and
word the error in the user's language; the worker stays usable for the next clip.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from workbench.core.errors import WorkbenchError

CHECK_FILE = ".batch-check"  # in the output folder while the batch runs: the token every worker must read there
THREADS_SETTING = "WORKBENCH_TASK_THREADS"


class ClipFailed(Exception):
    """A clip could not be processed on one attempt: `info` = problems, node, pid, seconds, partial summary."""

    def __init__(self, info: dict[str, Any]):
        super().__init__(info)
        self.info = info

    def __str__(self) -> str:
        return "; ".join(f"{p['code']}: {p['params']}" for p in self.info.get("problems", [])) or "failed"


def where() -> dict[str, Any]:
    """The node and process running this code (node id empty outside Ray)."""
    info: dict[str, Any] = {"node_id": "", "pid": os.getpid()}
    ray = sys.modules.get("ray")  # never imported here: outside a Ray worker there is no node
    with contextlib.suppress(Exception):
        if ray is not None and ray.is_initialized():
            info["node_id"] = ray.get_runtime_context().get_node_id()
    return info


def _problems(exc: BaseException) -> list[dict[str, Any]]:
    if isinstance(exc, WorkbenchError):
        return [{"code": p.code, "node": p.node, "field": p.field, "params": {k: str(v) for k, v in p.params.items()}}
                for p in exc.problems]
    return [{"code": "block_crashed", "node": None, "field": None,
             "params": {"detail": f"{type(exc).__name__}: {exc}"[:500]}}]


def limit_threads() -> int:
    """Cap OpenCV's and torch's thread pools in a batch worker to its share of the node: WORKBENCH_TASK_THREADS, else
    the OMP_NUM_THREADS Ray sets to the worker's CPUs; 0 leaves the libraries' defaults (one thread per core each,
    which oversubscribes the cores when every core runs a worker). Returns the cap (0 = none)."""
    value = os.environ.get(THREADS_SETTING) or os.environ.get("OMP_NUM_THREADS") or "0"
    threads = int(value) if value.isdigit() else 0
    if threads > 0:
        import cv2

        cv2.setNumThreads(threads)
        os.environ["OMP_NUM_THREADS"] = str(threads)  # torch reads it when first imported
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)
    return threads


def check_out(out: Path, token: str) -> str:
    """'' when this process sees the driver's output folder (the token the driver wrote) and can write into it;
    otherwise what is wrong, for the error message. Never creates the folder (that would hide a missing mount)."""
    try:
        seen = (out / CHECK_FILE).read_text(encoding="utf-8").strip()
    except OSError as exc:
        return f"{CHECK_FILE}: {exc.strerror or exc}"
    if seen != token:
        return f"{CHECK_FILE}: another folder of the same name (not the driver's)"
    probe = out / f".write-test-{os.getpid()}"
    try:
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def fresh_folder(folder: Path) -> None:
    """An empty clip folder (what an earlier, failed attempt left there is removed)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


class ClipWorker:
    """One batch worker (a Ray actor, or a plain object in tests): `check` once, then `run` once per clip."""

    def __init__(self, spec_data: dict[str, Any], out_dir: str, stride: int | None = None,
                 max_frames: int | None = None):
        from workbench.core.registry import default_registry
        from workbench.engine.spec import parse_spec

        limit_threads()
        self.spec = parse_spec(spec_data)
        self.registry = default_registry()
        self.out = Path(out_dir)
        self.stride, self.max_frames = stride, max_frames
        self.loaded: Any = None  # the CompiledPipeline whose blocks are loaded, once the first clip compiled it
        self.clips = 0  # clips run by this worker

    def check(self, token: str) -> dict[str, Any]:
        """Where this worker runs, and `problem`: '' when it sees and can write the output folder."""
        return {**where(), "problem": check_out(self.out, token)}

    def pipeline(self, source: str) -> Any:
        """The loaded pipeline with this clip's source block: blocks are loaded by the first call only."""
        from workbench.engine.graph import compile_pipeline
        from workbench.engine.runner import RunOptions, override_source

        spec = override_source(self.spec, self.registry, RunOptions(out_dir=self.out, source=source,
                                                                    stride=self.stride))
        clip = compile_pipeline(spec, self.registry, load=False)  # validated like any pipeline; nothing loaded yet
        clip.source.block.load()
        if self.loaded is None:
            for node in clip.nodes:  # weights and libraries, once per worker
                node.block.load()
            self.loaded = clip
        return replace(self.loaded, spec=spec, source=clip.source)

    def run(self, source: str, name: str) -> dict[str, Any]:
        """Run one clip into <out>/<name>/; returns {summary, events, node_id, pid, seconds} or raises ClipFailed."""
        from workbench.engine.runner import RunOptions, run_compiled

        info = where()
        began = time.perf_counter()
        folder = self.out / name
        events: list[dict[str, Any]] = []

        def keep(node: str, raised: tuple) -> None:
            events.extend(e.to_dict() for e in raised)

        self.clips += 1
        try:
            fresh_folder(folder)
            compiled = self.pipeline(source)
            summary = run_compiled(compiled, RunOptions(out_dir=folder, source=source, stride=self.stride,
                                                        max_frames=self.max_frames, camera=name, on_events=keep))
            return {**info, "summary": summary, "events": events, "seconds": round(time.perf_counter() - began, 3)}
        except Exception as exc:  # every failure is reported per clip; the driver decides about retries
            partial = folder / "summary.json"
            raise ClipFailed({**info, "problems": _problems(exc), "seconds": round(time.perf_counter() - began, 3),
                              "summary": partial.read_text(encoding="utf-8") if partial.exists() else ""}) from None
