"""`workbench serve cameras.yaml`: one pipeline over many live cameras at once, one thread and one block state each.

Each camera compiles its own copy of the pipeline (own blocks, own models: ultralytics models are not shared across
threads) and runs it in its own thread; cv2 decoding, OpenCV background subtraction and torch release the GIL, so
threads suffice (benchmarks/streams_capacity.py). A camera that fails never stops the others. Results:
<output>/<camera>/ (the pipeline's sinks, summary.json, health.json), <output>/events.jsonl (every camera's events,
each with a `camera` field) and <output>/health.json (every camera, rewritten every second).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError
from workbench.graph import CompiledPipeline, compile_pipeline
from workbench.i18n import t
from workbench.registry import BlockRegistry
from workbench.runner import RunOptions, prepare_out_dir, run_compiled
from workbench.spec import PipelineSpec
from workbench.streams.cameras import CameraEntry, ServeFile, camera_spec, stream_registry
from workbench.streams.health import HEALTH_FILE, HealthWriter, StreamHealth
from workbench.streams.reader import reader_for, redact

EVENTS_FILE = "events.jsonl"


@dataclass
class CameraRun:
    """One camera's thread and what it has done so far."""

    cam: CameraEntry
    out_dir: Path
    compiled: CompiledPipeline | None = None
    status: str = "starting"  # starting | running | done | stopped_early | cancelled | stopped | error
    error: str = ""
    events: int = 0
    thread: threading.Thread | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    def health(self) -> StreamHealth:
        reader = reader_for(self.compiled.source.block) if self.compiled is not None else None
        h = reader.health.snapshot() if reader is not None else StreamHealth(url=redact(self.cam.url))
        h.camera = self.cam.id
        if self.status == "error":
            h.state, h.connected, h.last_error = "error", False, self.error
        elif reader is None:
            h.state = self.status
        return h


class Server:
    """Start every camera, report health, stop them all (Ctrl+C, SIGTERM) without losing what was written."""

    def __init__(self, spec: PipelineSpec, cameras: list[CameraEntry], out_root: Path,
                 registry: BlockRegistry | None = None) -> None:
        self.spec, self.out_root = spec, out_root
        self.registry = registry or stream_registry()
        self.runs = [CameraRun(cam, out_root / cam.id) for cam in cameras]
        self._stop = threading.Event()
        self._events_lock = threading.Lock()
        self._writer: HealthWriter | None = None

    @classmethod
    def from_file(cls, file: ServeFile, base: Path, out_root: Path | None = None) -> Server:
        from workbench.spec import load_spec

        registry = stream_registry()
        return cls(load_spec(base / file.pipeline), file.cameras, out_root or base / file.output, registry)

    def start(self) -> Server:
        prepare_out_dir(self.out_root)
        for cam in self.runs:  # every camera's pipeline is checked before any starts: a typo stops nothing midway
            camera_spec(self.spec, self.registry, cam.cam)
        for run in self.runs:
            run.thread = threading.Thread(target=self._camera, args=(run,), name=f"camera-{run.cam.id}", daemon=True)
            run.thread.start()
        self._writer = HealthWriter(self.out_root / HEALTH_FILE, self.health).start()
        return self

    def health(self) -> list[StreamHealth]:
        return [run.health() for run in self.runs]

    def done(self) -> bool:
        return all(run.thread is None or not run.thread.is_alive() for run in self.runs)

    def wait(self, timeout: float) -> bool:
        """True when every camera has ended. Polls instead of join(): a join interrupted by Ctrl+C can leave
        is_alive() wrong afterwards (Python 3.11), and then a camera would be left unfinished."""
        deadline = time.monotonic() + timeout
        while not self.done() and time.monotonic() < deadline:
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        return self.done()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every camera; each closes its sinks and writes summary.json."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for run in self.runs:  # again and again: a camera may open its stream after the first pass
                reader = reader_for(run.compiled.source.block) if run.compiled is not None else None
                if reader is not None:
                    reader.stop()
            if self.wait(0.2):
                break
        if self._writer is not None:
            self._writer.stop()

    def _camera(self, run: CameraRun) -> None:
        writer = None
        try:
            run.compiled = compile_pipeline(camera_spec(self.spec, self.registry, run.cam), self.registry)
            prepare_out_dir(run.out_dir)
            writer = HealthWriter(run.out_dir / HEALTH_FILE, run.health).start()
            if self._stop.is_set():
                run.status = "stopped"
                return
            run.status = "running"
            run.summary = run_compiled(run.compiled, RunOptions(
                out_dir=run.out_dir, camera=run.cam.id, should_stop=self._stop.is_set, write_health=False,
                on_events=lambda node, events: self._events(run, events)))
            run.status = "stopped" if self._stop.is_set() else run.summary.get("status", "done")
        except WorkbenchError as exc:
            run.status = "stopped" if self._stop.is_set() else "error"
            run.error = "; ".join(f"{p.where()}: {p.message()}" for p in exc.problems)
        except Exception as exc:  # a defect in one camera's pipeline must not take the others down
            run.status, run.error = "error", f"{type(exc).__name__}: {exc}"
        finally:
            if writer is not None:
                writer.stop()

    def _events(self, run: CameraRun, events: tuple) -> None:
        with self._events_lock, (self.out_root / EVENTS_FILE).open("a", encoding="utf-8") as out:
            for event in events:
                out.write(json.dumps({"camera": run.cam.id, **event.to_dict()}, ensure_ascii=False) + "\n")
            run.events += len(events)

    def table(self) -> str:
        """The health table printed every few seconds."""
        cols = t("cli.serve.columns").split("|")
        rows = [cols]
        for run, h in zip(self.runs, self.health(), strict=True):
            connected = t("cli.serve.yes") if h.connected else t("cli.serve.no")
            rows.append([h.camera, h.state, connected, f"{h.fps_in:.1f}", f"{h.fps_out:.1f}", f"{h.lag_s:.2f}",
                         str(h.reconnects), str(h.dropped), str(run.events)])
        widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
