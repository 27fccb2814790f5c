"""Ground-truth events of a labeled clip: read from a file, or derived from labeled tracks.

Three file formats are read (`load_truth_file`), told apart by their content:

1. The synthetic generator's truth JSON (`<clip>.truth.json`, format in `workbench.features.synth.truth`): its events
are
   taken as they are; a `zone_exit` also gets the visit length of its `dwell` event as `duration_s`.
2. Events entered by staff, JSON: a list of events, or `{"version": 1, "clip": "...", "events": [...]}` where each
   event is
   `{"type": "line_crossing", "region": "count_line", "direction": "in", "time_s": 3.9}` with optional
   `"duration_s"` (seconds, for visits and stops), `"track"` (an integer, for people's reference only) and `"class"`.
3. The same as CSV, with a header row: `type,region,direction,time_s,duration_s,track,class` (only `type` and
   `time_s` are required; empty cells mean "not given").

What a true event means (what staff enter): `line_crossing` at the moment the object crosses, with `direction`
in/out as the pipeline's line rule names it; `zone_enter` / `zone_exit` at the moment it enters / leaves, a
`zone_exit` optionally with the visit length; `dwell` = a visit, at the entry, `duration_s` = time inside;
`stopped` = a stop, at the moment it stops, `duration_s` = how long it stood. Which of these a rule is expected to
report (e.g. only stops of at least its `min_seconds`) is decided in `workbench.features.evaluation.expect`.

`derive_events` computes the same events from labeled tracks (per-frame boxes, e.g. interpolated Label Studio video
tracks) with the rule blocks' own geometry: supervision's `LineZone` and `PolygonZone` on the bottom-centre anchor.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import supervision as sv

from workbench.core.errors import Problem, WorkbenchError
from workbench.features.evaluation.events import TimedEvent

CSV_COLUMNS = ("type", "region", "direction", "time_s", "duration_s", "track", "class")
MIN_STOP_S = 0.5
MAX_PROBLEMS = 20  # a badly broken file is not listed row by row beyond this


@dataclass
class GroundTruth:
    """True events of one clip, and where they came from."""

    events: list[TimedEvent]
    origin: str = ""
    fps: float | None = None
    clip: str = ""
    regions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The staff JSON format (format 2), loadable again with `load_truth_file`."""
        rows = []
        for e in self.events:
            row = {"type": e.type, "region": e.region, "direction": e.direction, "time_s": round(e.time_s, 4),
                   "duration_s": e.duration_s, "track": e.track, "class": e.class_name}
            rows.append({k: v for k, v in row.items() if v not in (None, "")})
        return {"version": 1, "clip": self.clip, "events": rows}


# -- reading -----------------------------------------------------------------------------------------------------------
def _problem(code: str, path: str, /, **params: Any) -> Problem:
    return Problem(code, field="--truth", params={"path": path, **params})


def load_truth_file(path: str | Path) -> GroundTruth:
    """Read any of the three formats; every problem of the file is reported at once (`WorkbenchError`)."""
    path = Path(path)
    if not path.is_file():
        raise WorkbenchError([_problem("eval_truth_missing", str(path))])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkbenchError([_problem("eval_truth_unreadable", str(path), detail=str(exc))]) from None
    if path.suffix.lower() == ".csv":
        return parse_truth_csv(text, origin=str(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkbenchError([_problem("eval_truth_unreadable", str(path),
                                       detail=f"not JSON (line {exc.lineno}): {exc.msg}")]) from None
    return parse_truth(data, origin=str(path))


def parse_truth(data: Any, origin: str = "truth") -> GroundTruth:
    """Truth from parsed JSON: the generator's format or the staff format (list or {"events": [...]})."""
    if isinstance(data, Mapping) and "tracks" in data and "fps" in data:
        return from_synth_truth(data, origin)
    rows = data.get("events") if isinstance(data, Mapping) else data
    if not isinstance(rows, list):
        raise WorkbenchError([_problem("eval_truth_shape", origin)])
    truth = GroundTruth(events=_rows_to_events(rows, origin), origin=origin)
    if isinstance(data, Mapping):
        truth.clip = str(data.get("clip") or "")
    return truth


def parse_truth_csv(text: str, origin: str = "truth.csv") -> GroundTruth:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("type", "time_s") if c not in (reader.fieldnames or [])]
    if missing:
        raise WorkbenchError([_problem("eval_truth_csv_header", origin, missing=", ".join(missing),
                                       columns=",".join(CSV_COLUMNS))])
    rows = [{k: v for k, v in row.items() if k and v not in (None, "")} for row in reader]
    return GroundTruth(events=_rows_to_events(rows, origin, first_row=2), origin=origin)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if np.isfinite(out) and out >= 0 else None


def _rows_to_events(rows: Sequence[Any], origin: str, first_row: int = 1) -> list[TimedEvent]:
    """Check every row; collect all problems before failing. `first_row`: number shown for rows[0]."""
    events, problems = [], []
    for i, row in enumerate(rows):
        where = first_row + i

        def bad(name: str, detail: str, where: int = where) -> None:
            problems.append(_problem("eval_truth_bad_event", origin, row=where, column=name, detail=detail))

        if not isinstance(row, Mapping):
            bad("-", "not an object with type, time_s, ...")
            continue
        type_ = str(row.get("type") or "").strip()
        time_s = _number(row.get("time_s"))
        duration = row.get("duration_s")
        duration_s = None if duration in (None, "") else _number(duration)
        track = row.get("track")
        if not type_:
            bad("type", "missing (e.g. line_crossing, zone_enter, zone_exit, dwell, stopped)")
        if time_s is None:
            bad("time_s", f"{row.get('time_s')!r} is not a number of seconds >= 0")
        if duration not in (None, "") and duration_s is None:
            bad("duration_s", f"{duration!r} is not a number of seconds >= 0")
        if track not in (None, ""):
            try:
                track = int(track)
            except (TypeError, ValueError):
                bad("track", f"{track!r} is not a whole number")
        else:
            track = None
        if type_ and time_s is not None:
            events.append(TimedEvent(type=type_, time_s=time_s, region=str(row.get("region") or "").strip(),
                                     direction=str(row.get("direction") or "").strip(), duration_s=duration_s,
                                     track=track if isinstance(track, int) else None,
                                     class_name=str(row.get("class") or "").strip()))
    if problems:
        raise WorkbenchError(problems[:MAX_PROBLEMS])
    events.sort(key=lambda e: e.time_s)
    return events


def from_synth_truth(truth: Mapping[str, Any], origin: str = "synthetic truth") -> GroundTruth:
    """The generator's events as `TimedEvent`s; zone exits carry the length of their visit."""
    visits = {(e["track_id"], e["region"], e["end_frame"]): e["value"] for e in truth["events"] if e["type"] == "dwell"}
    events = []
    for e in truth["events"]:
        duration = e.get("value") if e["type"] in ("dwell", "stopped") else None
        if e["type"] == "zone_exit":
            duration = visits.get((e["track_id"], e["region"], e["frame"]))
        events.append(TimedEvent(type=e["type"], time_s=float(e["time"]), region=e.get("region") or "",
                                 direction=e.get("direction") or "", duration_s=duration, track=e.get("track_id"),
                                 class_name=e.get("class") or ""))
    return GroundTruth(events=events, origin=origin, fps=float(truth["fps"]), regions=dict(truth.get("regions") or {}))


def write_truth_csv(truth: GroundTruth) -> str:
    """Format 3 text (what the app offers for download / upload)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in truth.to_dict()["events"]:
        writer.writerow({k: row.get(k, "") for k in CSV_COLUMNS})
    return out.getvalue()


# -- deriving events from labeled tracks -------------------------------------------------------------------------------
@dataclass
class LabeledTrack:
    """One labeled object: its box (x1, y1, x2, y2 pixels) in each frame it is visible in."""

    id: int
    class_name: str
    boxes: dict[int, tuple[float, float, float, float]]

    def frames(self) -> list[int]:
        return sorted(self.boxes)


def tracks_from_synth(truth: Mapping[str, Any]) -> list[LabeledTrack]:
    """The generator's tracks (`first_frame` + one box per frame) as labeled tracks."""
    return [LabeledTrack(id=int(t["id"]), class_name=t["class"],
                         boxes={t["first_frame"] + i: tuple(b) for i, b in enumerate(t["boxes"])})
            for t in truth["tracks"]]


def _detections(track: LabeledTrack, frames: Sequence[int]) -> sv.Detections:
    xyxy = np.array([track.boxes[f] for f in frames], dtype=np.float32).reshape(-1, 4)
    return sv.Detections(xyxy=xyxy, tracker_id=np.full(len(frames), track.id, dtype=int),
                         class_id=np.zeros(len(frames), dtype=int))


def _line_events(track: LabeledTrack, name: str, points: Sequence[Sequence[float]], fps: float) -> list[TimedEvent]:
    """A crossing wherever the anchor changes side from one labeled frame to the next (LineZone, threshold 1)."""
    (sx, sy), (ex, ey) = points[0], points[1]
    line = sv.LineZone(start=sv.Point(sx, sy), end=sv.Point(ex, ey), triggering_anchors=(sv.Position.BOTTOM_CENTER,),
                       minimum_crossing_threshold=1)
    frames, out = track.frames(), []
    dets = _detections(track, frames)
    for k, f in enumerate(frames):
        crossed_in, crossed_out = line.trigger(dets[k:k + 1])
        for direction, hit in (("in", crossed_in[0]), ("out", crossed_out[0])):
            if hit:
                out.append(TimedEvent("line_crossing", f / fps, name, direction, track=track.id,
                                      class_name=track.class_name))
    return out


def _zone(points: Sequence[Sequence[float]]) -> sv.PolygonZone:
    """The zone exactly as the rule blocks build it (`blocks.rules._common.make_zone`, bottom-centre anchor)."""
    return sv.PolygonZone(polygon=np.round(np.array(points)).astype(int),
                          triggering_anchors=(sv.Position.BOTTOM_CENTER,))


def _zone_events(track: LabeledTrack, name: str, points: Sequence[Sequence[float]], fps: float) -> list[TimedEvent]:
    """zone_enter / zone_exit (with the visit length) and one dwell per completed visit."""
    frames = track.frames()
    inside = _zone(points).trigger(_detections(track, frames))
    out, entered = [], None
    for k, f in enumerate(frames):
        before = bool(inside[k - 1]) if k else False
        if inside[k] and not before:
            entered = f
            out.append(TimedEvent("zone_enter", f / fps, name, track=track.id, class_name=track.class_name))
        elif before and not inside[k] and entered is not None:
            visit = (f - entered) / fps
            out.append(TimedEvent("zone_exit", f / fps, name, duration_s=visit, track=track.id,
                                  class_name=track.class_name))
            out.append(TimedEvent("dwell", entered / fps, name, duration_s=visit, track=track.id,
                                  class_name=track.class_name))
    return out


def _stop_events(track: LabeledTrack, zones: Mapping[str, sv.PolygonZone], fps: float, min_stop_s: float,
                 still_px: float) -> list[TimedEvent]:
    """A stop = the anchor stays within `still_px` of where it came to rest for at least `min_stop_s`."""
    frames = track.frames()
    dets = _detections(track, frames)
    pts = dets.get_anchors_coordinates(sv.Position.BOTTOM_CENTER)
    out, i = [], 0
    while i < len(frames):
        j = i
        while j + 1 < len(frames) and np.hypot(*(pts[j + 1] - pts[i])) <= still_px:
            j += 1
        seconds = (frames[j] - frames[i]) / fps
        if seconds >= min_stop_s:
            names = [n for n, z in zones.items() if z.trigger(dets[i:i + 1])[0]] or [""]
            out += [TimedEvent("stopped", frames[i] / fps, n, duration_s=seconds, track=track.id,
                               class_name=track.class_name, extra={"end_s": frames[j] / fps}) for n in names]
        i = j + 1
    return out


def derive_events(tracks: Iterable[LabeledTrack], regions: Mapping[str, Mapping[str, Any]], fps: float,
                  min_stop_s: float = MIN_STOP_S, still_px: float = 0.5) -> list[TimedEvent]:
    """True events implied by labeled tracks and named regions (`{"name": {"kind": "line"|"polygon", "points"}}`).

    Line crossings (with direction), zone entries/exits, dwell visits and stops, at frame / fps seconds. Regions use
    the same names as the pipeline's rules, so the events can be matched to them.
    """
    lines = {n: r["points"] for n, r in regions.items() if r.get("kind") == "line"}
    zone_points = {n: r["points"] for n, r in regions.items() if r.get("kind") == "polygon"}
    zones = {n: _zone(p) for n, p in zone_points.items()}
    events: list[TimedEvent] = []
    for track in tracks:
        if not track.boxes:
            continue
        for name, points in lines.items():
            events += _line_events(track, name, points, fps)
        for name, points in zone_points.items():
            events += _zone_events(track, name, points, fps)
        events += _stop_events(track, zones, fps, min_stop_s, still_px)
    events.sort(key=lambda e: (e.time_s, e.track or 0, e.type, e.region))
    return events
