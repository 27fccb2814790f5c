"""`workbench serve cameras.yaml`: one pipeline over many live cameras at once, one thread and one block state each.

Each camera compiles its own copy of the pipeline (own blocks, own per-stream state) and runs it in its own thread;
cv2 decoding, OpenCV background subtraction, onnxruntime and torch release the GIL, so threads suffice
(benchmarks/streams_capacity.py). Model weights are loaded once per process and shared by every camera
(`zoo.shared_model`); the ONNX detector also gathers the cameras' frames into one model call (a `Batcher` per model:
each camera waits at most the block's `batch_wait_ms` for the others, a single camera never waits, each gets its own
detections). A camera that fails never stops the others. Results:
<output>/<camera>/ (the current run: the pipeline's sinks, summary.json; and health.json), <output>/events.jsonl (every
camera's events, each with a `camera` field, appended across restarts and reloads), <output>/health.json (every
camera, rewritten every second) and <output>/serve.json (the cameras file and its reloads, see reload.py).

Supervision: a camera whose pipeline fails (a block crash, a model failing to load, a stream that cannot be opened)
while serve is not stopping is restarted in the same thread after a wait (the cameras file's `restart:` settings:
1 s doubling up to 60 s, back to 1 s after a run that lasted 60 s); its health shows state `restarting`, `restarts`
and `last_error`. A pipeline that does not compile (bad settings) cannot heal by waiting: it is reported at once and
not retried. A run that ends by itself (a file's end, a stream given up after `give_up_after_s`) is not restarted.
Nothing already produced is lost: before a camera's run opens its files, whatever an earlier run left in
<output>/<camera>/ (its video, snapshots, events, summary.json) is moved to <output>/<camera>/previous-runs/0001,
0002... (oldest first), so <output>/<camera>/ always holds the current run.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from workbench.core.errors import PipelineInvalid, WorkbenchError
from workbench.core.i18n import t
from workbench.core.registry import BlockRegistry
from workbench.engine.graph import compile_pipeline
from workbench.engine.recording import source_for
from workbench.engine.runner import RunOptions, prepare_out_dir, run_compiled
from workbench.engine.spec import PipelineSpec
from workbench.features.streams.camera_run import CameraRun, keep_earlier_outputs
from workbench.features.streams.cameras import (
    CameraEntry,
    RestartPolicy,
    ServeFile,
    camera_spec,
    check_cameras,
    stream_registry,
)
from workbench.features.streams.reload import ReloadMixin
from workbench.features.streams.serve_events import event_counts
from workbench.media.health import HEALTH_FILE, HealthWriter, ServeState, StreamHealth, now_iso
from workbench.records.event_store import EventSource

EVENTS_FILE = "events.jsonl"
__all__ = ["EVENTS_FILE", "CameraRun", "Server", "keep_earlier_outputs"]


class Server(ReloadMixin):
    """Start every camera, restart failed ones, report health, reload the cameras file, stop them all (Ctrl+C,
    SIGTERM) without losing what was written."""

    def __init__(self, spec: PipelineSpec, cameras: list[CameraEntry], out_root: Path,
                 registry: BlockRegistry | None = None, restart: RestartPolicy | None = None) -> None:
        self.spec, self.out_root = spec, out_root
        self.registry = registry or stream_registry()
        self.restart = restart or RestartPolicy()
        self.runs = [CameraRun(cam, out_root / cam.id) for cam in cameras]  # replaced, never changed in place
        self.path: Path | None = None  # the cameras file, when made from one (reload reads it again)
        self.pipeline_path: Path | None = None
        self.state = ServeState()
        self.out_explicit = True
        self._events_lock = threading.Lock()
        self._writer: HealthWriter | None = None
        self.health_every_s = 5.0

    @classmethod
    def from_file(cls, file: ServeFile, base: Path, out_root: Path | None = None,
                  registry: BlockRegistry | None = None, path: Path | None = None) -> Server:
        from workbench.engine.spec import load_spec

        server = cls(load_spec(base / file.pipeline), file.cameras, out_root or base / file.output,
                     registry or stream_registry(), file.restart)
        server.path, server.out_explicit, server.health_every_s = path, out_root is not None, file.health_every_s
        server.pipeline_path = base / file.pipeline
        return server

    def start(self) -> Server:
        prepare_out_dir(self.out_root)
        check_cameras(self.spec, self.registry, [run.cam for run in self.runs])  # a typo stops nothing midway
        for run in self.runs:
            self._launch(run)
        self._writer = HealthWriter(self.out_root / HEALTH_FILE, self.health).start()
        self.state = ServeState(cameras_file=str(self.path or ""), pipeline=str(self.pipeline_path or ""),
                                started=now_iso())
        self.write_state()
        return self

    def _launch(self, run: CameraRun) -> None:
        run.thread = threading.Thread(target=self._camera, args=(run,), name=f"camera-{run.cam.id}", daemon=True)
        run.thread.start()

    def health(self) -> list[StreamHealth]:
        return [run.health() for run in self.runs]

    def done(self) -> bool:
        return all(not run.alive() for run in self.runs)

    def wait(self, timeout: float, runs: list[CameraRun] | None = None) -> bool:
        """True when every camera (of `runs`) has ended. Polls instead of join(): a join interrupted by Ctrl+C can
        leave is_alive() wrong afterwards (Python 3.11), and then a camera would be left unfinished."""
        runs = self.runs if runs is None else runs
        deadline = time.monotonic() + timeout
        while any(r.alive() for r in runs) and time.monotonic() < deadline:
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        return not any(r.alive() for r in runs)

    def stop_runs(self, runs: list[CameraRun], timeout: float = 30.0) -> bool:
        """Stop these cameras; each closes its sinks and writes summary.json."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for run in runs:  # again and again: a camera may open its stream after the first pass
                run.request_stop()
            if self.wait(0.2, runs):
                return True
        return False

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every camera; each closes its sinks and writes summary.json."""
        self.stop_runs(self.runs, timeout)
        if self._writer is not None:
            self._writer.stop()

    def _camera(self, run: CameraRun) -> None:
        """One camera's thread: run the pipeline, and run it again after a wait while it fails and may heal."""
        writer = None
        wait: float | None = None
        try:
            prepare_out_dir(run.out_dir)
            writer = HealthWriter(run.out_dir / HEALTH_FILE, run.health).start()
            while True:
                began = time.monotonic()
                if not self._run_once(run) or not self.restart.enabled:
                    return
                wait = self.restart.next_wait(wait, time.monotonic() - began)
                run.status = "restarting"
                if run.stopping.wait(wait):
                    run.status = "stopped"
                    return
                run.restarts += 1
        except WorkbenchError as exc:  # the camera's folder cannot be written
            run.fail(exc)
        finally:
            if writer is not None:
                writer.stop()

    def _run_once(self, run: CameraRun) -> bool:
        """One run of the camera's pipeline; True when it failed in a way a restart may heal."""
        run.compiled, run.live = None, None
        try:
            compiled = compile_pipeline(self.camera_spec(run.cam), self.registry, load=False)
        except WorkbenchError as exc:  # settings that do not compile cannot heal by waiting
            run.fail(exc)
            return False
        try:
            compiled.load()
            keep_earlier_outputs(run.out_dir)
            run.compiled = compiled
            if run.stopping.is_set():
                run.status = "stopped"
                return False
            run.status = "running"
            run.summary = run_compiled(compiled, RunOptions(
                out_dir=run.out_dir, camera=run.cam.id, should_stop=run.stopping.is_set, write_health=False,
                on_events=lambda node, events: self._events(run, events),
                on_live=lambda handle: setattr(run, "live", handle), record=self.record_source(run)))
            run.status = "stopped" if run.stopping.is_set() else run.summary.get("status", "done")
            return False
        except Exception as exc:  # a defect in one camera's pipeline must not take the others down
            if run.stopping.is_set():
                run.status = "stopped"
                return False
            run.fail(exc)
            return not isinstance(exc, PipelineInvalid)

    def record_source(self, run: CameraRun) -> EventSource:
        """The event store's source of a camera: `serve:<output folder>/<camera>`, numbered on from the camera's
        lines already in the output's events.jsonl (earlier runs, earlier serves into the same folder)."""
        earlier = event_counts(self.out_root / EVENTS_FILE).get(run.cam.id, 0)
        return source_for(self.spec, f"serve:{self.out_root.resolve()}/{run.cam.id}", run.cam.id,
                          str(run.out_dir.resolve()), earlier)

    def camera_spec(self, cam: CameraEntry) -> PipelineSpec:
        return camera_spec(self.spec, self.registry, cam)

    def _events(self, run: CameraRun, events: tuple) -> None:
        with self._events_lock, (self.out_root / EVENTS_FILE).open("a", encoding="utf-8") as out:
            for event in events:
                out.write(json.dumps({"camera": run.cam.id, **event.to_dict()}, ensure_ascii=False) + "\n")
            run.events += len(events)

    def table(self) -> str:
        """The health table printed every few seconds."""
        cols = [*t("cli.serve.columns").split("|"), t("cli.serve.column_restarts")]
        rows = [cols]
        for run, h in zip(self.runs, self.health(), strict=True):
            connected = t("cli.serve.yes") if h.connected else t("cli.serve.no")
            rows.append([h.camera, h.state, connected, f"{h.fps_in:.1f}", f"{h.fps_out:.1f}", f"{h.lag_s:.2f}",
                         str(h.reconnects), str(h.dropped), str(run.events), str(h.restarts)])
        widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
