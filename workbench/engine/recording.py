"""Every event a run raises, also into the event store (workbench.records): the runner hands each frame's events to
the process's store writer (a thread with a bounded queue), so the frame loop never waits for the database.

Events are numbered in the order the runner reports them (`RunOptions.on_events`: frame by frame, nodes in
pipeline order), the same order as the run folder's events.jsonl, so ingesting that file later finds them stored.
The stored version of an event is the last one the pipeline made of it (a snapshot sink's copy carries the path).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from workbench.engine.graph import CompiledPipeline
from workbench.engine.spec import PipelineSpec
from workbench.records.event_store import EventSource

FLUSH_TIMEOUT_S = 30.0


def pipeline_site(spec: PipelineSpec) -> str:
    """The site a pipeline names (a work-order sink's `site` setting), or ''."""
    for node in spec.nodes:
        site = node.config.get("site")
        if isinstance(site, str) and site.strip():
            return site.strip()
    return ""


def source_for(spec: PipelineSpec, source_id: str, camera: str, folder: str, first_seq: int = 0) -> EventSource:
    """The EventSource of a run of `spec`: its pipeline's name, version and site."""
    return EventSource(id=source_id, camera=camera, site=pipeline_site(spec), pipeline=spec.meta.name,
                       pipeline_version=spec.meta.version, folder=folder, first_seq=first_seq)


class Recorder:
    """Numbers a run's events and queues them for the store; `finish` waits (bounded) until they are written."""

    def __init__(self, source: EventSource) -> None:
        from workbench.records.event_writer import shared_writer

        self.source = source
        self.writer = shared_writer()
        self.next_seq = source.first_seq
        self.dropped = 0

    def record(self, compiled: CompiledPipeline, values: dict[tuple[str, str], Any],
               raised: list[tuple[str, tuple]]) -> None:
        events = [e for _, found in raised for e in found]
        if not events:
            return
        latest = _latest_versions(compiled, values)
        events = [latest.get(_identity(e), e) for e in events]
        if not self.writer.put(self.source, self.next_seq, events):
            self.dropped += 1
        self.next_seq += len(events)

    def finish(self) -> dict[str, Any]:
        """What the summary says about the store: source id, events handed over, whether all were written."""
        flushed = self.writer.flush(FLUSH_TIMEOUT_S)
        stats = self.writer.stats
        lost = self.dropped or self.source.id in stats.dropped_sources or self.source.id in stats.failed_sources
        return {"source_id": self.source.id, "events": self.next_seq - self.source.first_seq,
                "complete": flushed and not lost}


def _identity(event: Any) -> tuple:
    return (event.node, event.frame, event.type, event.track_id, event.region, event.direction)


def _latest_versions(compiled: CompiledPipeline, values: dict[tuple[str, str], Any]) -> dict[tuple, Any]:
    """For each event of this frame, its last copy in pipeline order that a sink filled in (snapshot, work order)."""
    latest: dict[tuple, Any] = {}
    for node in compiled.nodes:
        for port in node.event_outputs:
            for event in values.get((node.id, port)) or ():
                if dataclasses.is_dataclass(event) and (event.snapshot or event.work_order):
                    latest[_identity(event)] = event
    return latest
