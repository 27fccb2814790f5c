"""The event record every rule emits and every sink writes (one row in events.jsonl / events.csv)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Column order of events.csv; documented in docs/pipeline-format.md. Add columns at the end only.
CSV_COLUMNS = (
    "time", "pts", "frame", "node", "type", "direction", "track_id", "class_name", "region",
    "value", "confidence", "bbox", "trajectory", "snapshot", "work_order", "source", "extra",
)
# An event carries at most the newest this many trajectory points (about 2 s at 30 fps): every event is copied to
# events.jsonl, the webhook and work orders, and a tracker keeping 3000 points made one event 50 KB of JSON.
EVENT_TRAJECTORY_POINTS = 64


@dataclass(frozen=True)
class Event:
    """Something a rule noticed. Immutable: blocks that add to an event (snapshot path, work order) return a copy."""

    time: str  # ISO 8601 clock time of the frame
    pts: float  # seconds since the start of the source
    frame: int  # frame index in the source
    node: str  # id of the rule node that raised it
    type: str  # e.g. line_crossing, zone_enter, zone_exit, dwell, stopped, speeding, wrong_way, crowding
    track_id: int | None = None
    class_name: str = ""
    region: str = ""  # the line or zone name
    direction: str = ""  # in/out for line crossings, where it applies
    value: float | None = None  # seconds of dwell/stop, km/h, object count... depending on type
    confidence: float | None = None
    bbox: tuple[float, float, float, float] | None = None  # x1, y1, x2, y2 in pixels
    trajectory: tuple[tuple[float, float], ...] = ()  # the track's newest anchor points (EVENT_TRAJECTORY_POINTS)
    snapshot: str = ""  # path of the JPEG crop, relative to the run folder
    work_order: str = ""
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.trajectory) > EVENT_TRAJECTORY_POINTS:  # the one place the tail is cut, whoever builds the event
            object.__setattr__(self, "trajectory", tuple(self.trajectory[-EVENT_TRAJECTORY_POINTS:]))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["bbox"] = list(self.bbox) if self.bbox is not None else None
        d["trajectory"] = [list(p) for p in self.trajectory]
        return d

    def to_csv_row(self) -> dict[str, Any]:
        d = self.to_dict()
        for key in ("bbox", "trajectory", "extra"):
            d[key] = json.dumps(d[key], ensure_ascii=False) if d[key] not in (None, [], {}) else ""
        return {k: "" if d[k] is None else d[k] for k in CSV_COLUMNS}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Event:
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        if d.get("bbox") is not None:
            d["bbox"] = tuple(d["bbox"])
        d["trajectory"] = tuple(tuple(p) for p in d.get("trajectory") or ())
        return cls(**d)
