"""Run a pipeline over one source, writing results into a run folder (events, video, snapshots, summary.json)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workbench.core.block import LiveHandle, SourceBlock, StreamContext, VideoStream
from workbench.core.errors import BlockError, Problem, WorkbenchError
from workbench.core.frames import Frame
from workbench.core.locations import redact
from workbench.core.paths import write_atomic
from workbench.core.registry import BlockRegistry
from workbench.engine.graph import CompiledPipeline, Stream, compile_pipeline
from workbench.engine.spec import PipelineSpec
from workbench.records.event_store import EventSource

ProgressFn = Callable[[int, int | None, float], None]  # frames done, frames expected (if known), processing fps
EventsFn = Callable[[str, tuple], None]  # node id, the events it raised on this frame
SUMMARY_FILE = "summary.json"
SUMMARY_INTERVAL_S = 2.0  # while running, summary.json (status "running") is rewritten this often: a killed run's
#                           summary says how far it got


@dataclass
class RunOptions:
    """What `workbench run` may change without editing the pipeline."""

    out_dir: Path
    source: str | None = None  # replaces the source node's location (path/URL)
    stride: int | None = None
    start: float | None = None  # seconds
    end: float | None = None  # seconds
    max_frames: int | None = None
    camera: str = ""
    on_progress: ProgressFn | None = None
    on_events: EventsFn | None = None  # every event of every rule as it happens, whatever sinks the pipeline has
    write_health: bool = True  # a live stream source's health.json in out_dir (serve writes its own)
    should_stop: Callable[[], bool] = field(default=lambda: False)
    on_live: Callable[[LiveHandle], None] | None = None  # a live source's health and stop, once it starts reading
    record: EventSource | None = None  # also put every event into the event store, as this source (recording.py)


def override_source(spec: PipelineSpec, registry: BlockRegistry, opts: RunOptions) -> PipelineSpec:
    """Apply --source/--stride/--start/--end to the source node's settings."""
    src = next((n for n in spec.nodes if (cls := registry.get(n.type)) and issubclass(cls, SourceBlock)), None)
    if src is None:
        return spec
    cls = registry.get(src.type)
    changes: dict[str, Any] = {}
    if opts.source is not None:
        changes[cls.location_field] = opts.source
    for key in ("stride", "start", "end"):
        if getattr(opts, key) is not None:
            changes[key] = getattr(opts, key)
    return spec.with_config(src.id, **changes) if changes else spec


def prepare_out_dir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise WorkbenchError([Problem("out_dir_unwritable", field="--out",
                                      params={"path": str(out_dir), "detail": exc.strerror or str(exc)})]) from None


def run_pipeline(spec: PipelineSpec, opts: RunOptions, registry: BlockRegistry | None = None) -> dict[str, Any]:
    """Compile and run; always write summary.json, also when a block fails or the user cancels."""
    from workbench.core.registry import default_registry

    registry = registry or default_registry()
    spec = override_source(spec, registry, opts)
    compiled = compile_pipeline(spec, registry)
    prepare_out_dir(opts.out_dir)
    return run_compiled(compiled, opts)


def _health_writer(live: LiveHandle | None, opts: RunOptions) -> Any:
    """For a live stream source: health.json (connected, fps, lag, reconnects, outages) rewritten every second."""
    from workbench.media.health import HEALTH_FILE, HealthWriter

    if live is None or not opts.write_health:
        return None
    return HealthWriter(opts.out_dir / HEALTH_FILE, live.health).start()


def _source_frames(video: VideoStream, node: str, field: str) -> Iterator[Frame]:
    """The source's frames; a source that fails while reading (a decoder error mid-file) is named with its node."""
    frames = iter(video.frames)
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            return
        except (WorkbenchError, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise BlockError("block_crashed", node, field, detail=f"{type(exc).__name__}: {exc}") from exc
        yield frame


def run_compiled(compiled: CompiledPipeline, opts: RunOptions) -> dict[str, Any]:
    """Run the pipeline on its source until the end, `max_frames` or a stop; the summary (also in summary.json)."""
    source: SourceBlock = compiled.source.block  # type: ignore[assignment]
    handles: list[LiveHandle] = []

    def live(handle: LiveHandle) -> None:
        handles.append(handle)
        if opts.on_live is not None:
            opts.on_live(handle)

    video = source.open_live(live)
    health = _health_writer(handles[0] if handles else None, opts)
    ctx = StreamContext(out_dir=opts.out_dir, source=redact(str(getattr(source.config, source.location_field, ""))),
                        fps=video.fps, frame_size=video.frame_size, camera=opts.camera, start_time=video.start_time)
    summary: dict[str, Any] = {
        "pipeline": compiled.spec.meta.name, "source": ctx.source, "camera": opts.camera,
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "stream_fps": video.fps,
        "frame_size": list(video.frame_size), "status": "running",
    }
    failure: BaseException | None = None
    stream = None
    progress = _Progress()
    recorder = None
    try:
        recorder = _recorder(opts)
        stream = compiled.open_stream(ctx)
        _write_summary(opts.out_dir, _so_far(summary, stream, progress), live=True)
        _push_frames(compiled, video, stream, opts, summary, progress, recorder)
    except KeyboardInterrupt:
        summary["status"] = "cancelled"
    except Exception as exc:  # a BlockError, or a bug in a block: name the node, keep what was produced
        failure = exc
    finally:
        video.close()
        if health is not None:
            health.stop()
    failure = _final_summary(summary, stream, progress, video, failure)
    if recorder is not None:
        summary["event_store"] = recorder.finish()
    _write_summary(opts.out_dir, summary)
    if failure is not None:
        if isinstance(failure, WorkbenchError):
            raise failure
        raise WorkbenchError([Problem("block_crashed", params={"detail": f"{type(failure).__name__}: {failure}"})]) \
            from failure
    return summary


@dataclass
class _Progress:
    """How far the frame loop got."""

    frames: int = 0
    last_frame: int | None = None
    began: float = field(default_factory=time.perf_counter)

    def counts(self) -> dict[str, Any]:
        elapsed = time.perf_counter() - self.began
        return {"frames": self.frames, "last_frame": self.last_frame, "seconds": round(elapsed, 3),
                "processing_fps": round(self.frames / elapsed, 2) if elapsed > 0 else 0.0}


def _recorder(opts: RunOptions) -> Any:
    """The event store's recorder for this run (`opts.record`), or None."""
    if opts.record is None:
        return None
    from workbench.engine.recording import Recorder

    return Recorder(opts.record)


def _push_frames(compiled: CompiledPipeline, video: VideoStream, stream: Stream, opts: RunOptions,
                 summary: dict[str, Any], progress: _Progress, recorder: Any = None) -> None:
    """Every frame of the source through the stream, until the end, `max_frames` or a stop request."""
    source: SourceBlock = compiled.source.block  # type: ignore[assignment]
    expected = video.frame_count
    if opts.max_frames is not None:
        expected = min(expected, opts.max_frames) if expected is not None else opts.max_frames
    next_summary = progress.began + SUMMARY_INTERVAL_S
    for frame in _source_frames(video, compiled.source.id, source.location_field):
        if opts.max_frames is not None and progress.frames >= opts.max_frames:
            return
        values = stream.push(frame)
        if opts.on_events or recorder is not None:
            raised = _raised_events(compiled, values)
            for node, events in raised if opts.on_events else ():
                opts.on_events(node, events)
            if recorder is not None:
                recorder.record(compiled, values, raised)
        progress.frames += 1
        progress.last_frame = frame.index
        if (now := time.perf_counter()) >= next_summary:
            _write_summary(opts.out_dir, _so_far(summary, stream, progress), live=True)
            next_summary = now + SUMMARY_INTERVAL_S
        if opts.on_progress:
            opts.on_progress(progress.frames, expected, progress.frames / max(now - progress.began, 1e-9))
        if opts.should_stop():
            summary["status"] = "cancelled"
            return


def _final_summary(summary: dict[str, Any], stream: Stream | None, progress: _Progress, video: VideoStream,
                   failure: BaseException | None) -> BaseException | None:
    """Fill in the summary once the stream is closed; the failure to report (a sink failing to finish counts)."""
    if stream is not None:
        facts, finish_errors = stream.finish()
        summary["outputs"] = facts
        summary["per_block_ms"] = stream.mean_ms()
        summary["events"] = stream.event_counts
        summary["event_total"] = sum(sum(c.values()) for c in stream.event_counts.values())
        if failure is None and finish_errors:
            failure = finish_errors[0]
    summary.update(progress.counts())
    if failure is not None:
        summary["status"] = "error"
        summary["error"] = str(failure)
    elif summary["status"] == "running":
        summary["status"] = "stopped_early" if video.stopped_early else "done"
    if video.stopped_early:
        summary["stopped_early"] = video.stopped_early
    return failure


def _so_far(summary: dict[str, Any], stream: Stream, progress: _Progress) -> dict[str, Any]:
    """The summary while running: status "running", frames and events so far (no outputs: sinks are still open)."""
    return {**summary, "events": {node: dict(c) for node, c in stream.event_counts.items()},
            "event_total": sum(sum(c.values()) for c in stream.event_counts.values()), **progress.counts(),
            "updated": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _write_summary(out_dir: Path, summary: dict[str, Any], live: bool = False) -> None:
    """Atomically (a reader never sees half a file; a kill leaves the previous version). A `live` (running) summary
    that cannot be written (disk full for a moment) is skipped: the run goes on and the next one tries again."""
    try:
        write_atomic(out_dir / SUMMARY_FILE, json.dumps(summary, indent=2, ensure_ascii=False))
    except OSError:
        if not live:
            raise


def _raised_events(compiled: CompiledPipeline, values: dict[tuple[str, str], Any]) -> list[tuple[str, tuple]]:
    """Each event once, from the node that raised it (not again from the blocks it passes through), in pipeline
    order: (node id, its events) for every node that raised any on this frame."""
    found = []
    for node in compiled.nodes:
        for port in node.event_outputs:
            raised = tuple(e for e in values.get((node.id, port)) or () if e.node == node.id)
            if raised:
                found.append((node.id, raised))
    return found
