"""Add the events of finished run folders to the event store (`workbench events ingest FOLDER...`).

Which events and which source ids a folder gives, by its kind (the same ids the live writers use, so nothing is
stored twice; positions are the order of the lines of the folder's events.jsonl):

    a background run (<home>/runs/<id>/: request.json, events.jsonl)   run:<id>
    a batch (batch_summary.json, events.jsonl with "clip")            batch:<folder>@<started>/<clip>, per clip
    a camera group (serve.json, events.jsonl with "camera")           serve:<folder>/<camera>, per camera
    any other run folder (summary.json, events.jsonl of its sink)     its summary's event_store.source_id, else
                                                                      folder:<folder>@<started>

A line that cannot be read (cut off when a writer was killed) is skipped and counted; it keeps its position.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.engine.recording import source_for
from workbench.engine.spec import PipelineSpec, load_spec
from workbench.records.database import open_database
from workbench.records.event_store import EventSource, event_row, insert_rows
from workbench.records.event_writer import BATCH_EVENTS

EVENTS_FILE = "events.jsonl"


@dataclass
class IngestResult:
    folder: Path
    read: int = 0
    added: int = 0
    skipped_lines: int = 0
    sources: list[str] = field(default_factory=list)

    @property
    def present(self) -> int:
        return self.read - self.added


def ingest_folder(folder: Path, url: str | None = None, batch: int = BATCH_EVENTS) -> IngestResult:
    """Store every event of one run folder that is not stored yet; one transaction per `batch` events."""
    folder = folder.expanduser().resolve()
    if (folder / "summary.json").exists() and not (folder / EVENTS_FILE).exists() \
            and (folder.parent / "request.json").exists():
        folder = folder.parent  # a background run's output/ folder: the run's own events.jsonl is one up
    if not (folder / EVENTS_FILE).is_file():
        raise WorkbenchError([Problem("events_not_a_run_folder", field="FOLDER", params={"path": str(folder)})])
    engine = open_database(url)
    result = IngestResult(folder)
    for source, events in _sources(folder, result):
        result.sources.append(source.id)
        rows = [event_row(source, source.first_seq + i, e) for i, e in enumerate(events) if e is not None]
        result.read += len(rows)
        for start in range(0, len(rows), batch):
            result.added += insert_rows(engine, rows[start:start + batch])
    return result


def _lines(path: Path, result: IngestResult) -> Iterator[dict[str, Any] | None]:
    """Each line of an events.jsonl as a dict, or None (counted) when it cannot be read."""
    with path.open("rb") as f:
        for raw in f:
            try:
                event = json.loads(raw)
                if not isinstance(event, dict) or "time" not in event:
                    raise ValueError("not an event")
            except ValueError:
                result.skipped_lines += 1
                yield None
                continue
            yield event


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _spec(path: Path) -> PipelineSpec | None:
    try:
        return load_spec(path)
    except (WorkbenchError, OSError):
        return None


def _source(spec: PipelineSpec | None, source_id: str, camera: str, folder: Path, name: str = "") -> EventSource:
    if spec is not None:
        return source_for(spec, source_id, camera, str(folder))
    return EventSource(id=source_id, camera=camera, pipeline=name, folder=str(folder))


def _grouped(lines: list[dict[str, Any] | None], key: str) -> dict[str, list[dict[str, Any] | None]]:
    """Lines per value of `key` (a camera, a clip), each group in file order; unreadable lines belong to none."""
    groups: dict[str, list[dict[str, Any] | None]] = {}
    for line in lines:
        if line is not None:
            groups.setdefault(str(line.get(key, "")), []).append(line)
    return groups


def _sources(folder: Path, result: IngestResult) -> Iterator[tuple[EventSource, list[dict[str, Any] | None]]]:
    """(source, its events in order) for every source the folder holds."""
    lines = list(_lines(folder / EVENTS_FILE, result))
    if (folder / "batch_summary.json").exists():
        from workbench.features.batch.report import clip_source

        header = _read_json(folder / "batch_summary.json")
        for clip, events in _grouped(lines, "clip").items():
            yield clip_source(folder, header, clip), events
    elif (folder / "serve.json").exists():
        state = _read_json(folder / "serve.json")
        spec = _spec(Path(state["pipeline"])) if state.get("pipeline") else None
        for camera, events in _grouped(lines, "camera").items():
            yield _source(spec, f"serve:{folder}/{camera}", camera, folder / camera), events
    elif (folder / "request.json").exists():
        request = _read_json(folder / "request.json")
        camera = str((request.get("request") or {}).get("camera", ""))
        yield _source(_spec(folder / "pipeline.yaml"), f"run:{folder.name}", camera, folder / "output",
                      str(request.get("pipeline", ""))), lines
    else:
        summary = _read_json(folder / "summary.json")
        source_id = (summary.get("event_store") or {}).get("source_id") or \
            f"folder:{folder}@{summary.get('started', '')}"
        yield EventSource(id=source_id, camera=str(summary.get("camera", "")),
                          pipeline=str(summary.get("pipeline", "")), folder=str(folder)), lines
