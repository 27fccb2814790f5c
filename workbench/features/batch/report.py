"""What a batch reports: one record per clip, batch_summary.json, the combined events file and the printed table."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem
from workbench.core.i18n import t
from workbench.records.event_store import EventSource
from workbench.records.event_writer import record_now

SUMMARY_FILE = "batch_summary.json"
EVENTS_FILE = "events.jsonl"  # every event of every clip, each with its clip name
ERROR_FILE = "error.json"  # in a failed clip's folder: its problems, attempts and partial summary


@dataclass
class ClipRecord:
    """One row of the batch summary. status: pending (not finished yet) | done | stopped_early | cancelled | failed."""

    clip: str
    source: str
    status: str = "pending"
    frames: int = 0
    fps: float = 0.0
    events: int = 0
    event_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    attempts: int | None = None  # tries so far (None: not started)
    error_code: str = ""
    error: str = ""
    node_id: str = ""
    pid: int | None = None
    seconds: float = 0.0
    folder: str = ""  # relative to the batch folder


def problem_text(problems: list[dict[str, Any]]) -> tuple[str, str]:
    """(first code, all messages) in the user's language, rebuilt from the worker's plain problem data."""
    built = [Problem(p["code"], node=p.get("node"), field=p.get("field"), params=p.get("params") or {})
             for p in problems]
    return (built[0].code if built else "", " | ".join(f"{p.where()}: {p.message()}" for p in built))


def write_summary(out: Path, header: dict[str, Any], records: list[ClipRecord]) -> dict[str, Any]:
    """(Re)write batch_summary.json: the header, totals by status, nodes used, and every clip record."""
    by_status: dict[str, int] = {}
    for r in records:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    summary = {**header, "totals": {"clips": len(records), **by_status,
                                    "frames": sum(r.frames for r in records),
                                    "events": sum(r.events for r in records)},
               "nodes": sorted({r.node_id for r in records if r.node_id}),
               "clips": [asdict(r) for r in records]}
    tmp = out / (SUMMARY_FILE + ".part")
    tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out / SUMMARY_FILE)
    return summary


def append_events(out: Path, clip: str, events: list[dict[str, Any]]) -> None:
    with open(out / EVENTS_FILE, "a", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps({"clip": clip, **e}, ensure_ascii=False) + "\n")


def clip_source(out: Path, header: dict[str, Any], clip: str) -> EventSource:
    """The event store's source of one clip of a batch: `batch:<output folder>@<start time>/<clip>`."""
    return EventSource(id=f"batch:{out.resolve()}@{header.get('started', '')}/{clip}", camera=clip,
                       pipeline=str(header.get("pipeline_name", "")),
                       pipeline_version=str(header.get("pipeline_version", "")), folder=str((out / clip).resolve()))


def store_clip_events(out: Path, header: dict[str, Any], clip: str, events: list[dict[str, Any]]) -> None:
    """A finished clip's events into the event store (in the order of its lines in the batch's events.jsonl);
    when the database refuses, a warning says to ingest the batch folder later."""
    if events:
        record_now(clip_source(out, header, clip), events)


def table(records: list[ClipRecord]) -> str:
    """A plain-text table: clip, status, frames, fps, events, attempts, node, error."""
    heads = [t(f"cli.batch.col_{c}") for c in ("clip", "status", "frames", "fps", "events", "attempts", "node",
                                                 "error")]
    rows = [[r.clip, t(f"cli.batch.status_{r.status}"), str(r.frames), f"{r.fps:.1f}", str(r.events),
             "?" if r.attempts is None else str(r.attempts), r.node_id[:8], r.error[:120]] for r in records]
    widths = [max(_width(row[i]) for row in [heads, *rows]) for i in range(len(heads))]
    lines = ["  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [heads, *rows]]
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns on a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
