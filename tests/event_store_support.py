"""Run folders full of events for the event store's tests and benchmark (real Event records, as runs write them)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from workbench.core.events import Event

START = datetime(2026, 12, 8, 8, 0, 0)


def make_events(count: int, start: datetime = START, camera_tag: str = "", every_s: float = 0.5) -> list[Event]:
    """`count` line crossings, one every `every_s` seconds from `start` (local time), classes and directions mixed."""
    classes = ("car", "bus", "truck", "person")
    return [Event(time=(start + timedelta(seconds=i * every_s)).isoformat(), pts=round(i * every_s, 3), frame=i * 12,
                  node="count_line", type="line_crossing", track_id=i // 2, class_name=classes[i % 4],
                  region="count_line", direction="in" if i % 3 else "out", confidence=0.9,
                  bbox=(10.0, 20.0, 110.0, 90.0), trajectory=((50.0, 60.0), (52.0, 61.0)), source=camera_tag,
                  snapshot=f"snapshots/{i:06d}_count_line_line_crossing_{i // 2}.jpg")
            for i in range(count)]


def background_run_folder(folder: Path, events: list[Event], camera: str = "gate-1") -> Path:
    """A background run's folder as jobs/runs.py leaves it: request.json, events.jsonl (one line per event)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "request.json").write_text(json.dumps({
        "id": folder.name, "pipeline": "vehicle-count-line", "request": {"camera": camera}}), encoding="utf-8")
    with (folder / "events.jsonl").open("w", encoding="utf-8") as out:
        for event in events:
            out.write(json.dumps(event.to_dict(), ensure_ascii=False) + "\n")
    return folder
