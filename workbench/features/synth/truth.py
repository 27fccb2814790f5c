"""Ground truth of a synthetic clip, computed from the actors' true boxes with plain numpy geometry (no blocks).

The truth is written as JSON beside the clip (`<clip>.truth.json`). Format, version 1:

```
{
  "version": 1,
  "scenario": "traffic",            # scenario name (workbench.features.synth.scenarios.SCENARIOS)
  "seed": 0,                         # appearance seed (texture, noise, colours); geometry does not depend on it
  "fps": 25.0,
  "size": [640, 360],                # width, height in pixels
  "frames": 500,                     # frame count; frame i is shown at time i / fps seconds
  "regions": {"count_line": {"kind": "line", "points": [[x, y], [x, y]]},          # start, end
              "fire_lane": {"kind": "polygon", "points": [[x, y], ...]}},
  "tracks": [{"id": 3, "class": "car", "first_frame": 12, "last_frame": 180,
              "boxes": [[x1, y1, x2, y2], ...]}],        # one box per frame first..last, see "Boxes"
  "events": [{"type": "line_crossing", "frame": 97, "time": 3.88, "track_id": 3, "class": "car",
              "region": "count_line", "direction": "in", "value": null, "end_frame": null, "end_time": null}]
}
```

Boxes: whole pixels, `x2`/`y2` exclusive (the actor covers columns x1..x2-1), clipped to the image; a track lists the
frames in which at least one pixel of the actor is visible. Track ids are the actors' ids; classes are `car`, `van`,
`truck`, `muck_truck`, `bus`, `person`.

Anchor: every event is measured on the bottom-centre point of the (clipped) box, `((x1 + x2) / 2, y2)`.

Events (sorted by frame, then track id, then type):
- `line_crossing`: the anchor's move from frame f-1 to frame f crosses the line segment (start -> end). `frame` is f.
  `direction` follows supervision's LineZone: with `cross = (end - start) x (anchor - start)` in image coordinates
  (y down), an anchor with `cross < 0` is on the "in" side. Moving onto that side is `in`, moving off it is `out`.
  For a vertical line drawn top to bottom, `in` means moving right; for a horizontal line drawn left to right,
  moving up.
- `zone_enter` / `zone_exit`: the anchor is strictly inside the polygon in frame f and was not in frame f-1 (or f is
  the track's first frame), resp. was inside in f-1 and is not in f. A track that vanishes inside a zone has no exit.
- `dwell`: one per completed visit of a zone: `frame`/`time` = the entry, `end_frame`/`end_time` = the exit,
  `value` = seconds inside, `(end_frame - frame) / fps`.
- `stopped`: one per stop of the actor's planned path (the true position does not change for at least 0.5 s):
  `frame`/`time` = first frame at the stop, `end_frame`/`end_time` = last frame there, `value` = seconds stopped
  `(end_frame - frame) / fps`; `region` = a zone containing the anchor (one event per such zone), else "".

`value`, `direction`, `end_frame`, `end_time` are null / "" where they do not apply. Times are seconds, 3 decimals.

Real-pixel scenes (`workbench.features.synth.real`, e.g. `real_traffic`) write the same format, version 1, with
compatible additions (readers that do not know them lose nothing):
- `boxes` are measured on the composited masks: the box of the object's pixels that can be seen (alpha >= 0.5, not
  hidden by anything in front of it, inside the picture); in a frame where the object is entirely hidden, its whole
  box. Classes also include the parked vehicles' (`van`, `car`).
- per track `full_boxes` (the whole object's box, clipped to the picture, as if nothing were in front of it) and
  `visibility` (share of the object's pixels that can be seen, 0..1; parts outside the picture count as hidden), one
  per frame like `boxes`; `parked: true` on the vehicles parked in the background (all frames, never moving).
- events are measured on the anchor of `full_boxes` (an object crossing a line behind a bus crosses it once); a parked
  vehicle has one `stopped` event over the whole clip. A sliver of an object that touches the picture's edge for a few
  frames before it enters for good is left out of its track.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from workbench.features.synth.scenario import Region, Scenario

TRUTH_VERSION = 1
MIN_STOP_S = 0.5


def visible_boxes(scenario: Scenario) -> list[dict[str, Any]]:
    """Per actor: the frames it is visible in (contiguous) and its clipped boxes there."""
    w, h = scenario.size
    times = scenario.times()
    tracks = []
    for actor in scenario.actors:
        boxes, active = actor.boxes(times)
        clipped = boxes.copy()
        clipped[:, [0, 2]] = np.clip(clipped[:, [0, 2]], 0, w)
        clipped[:, [1, 3]] = np.clip(clipped[:, [1, 3]], 0, h)
        seen = active & (clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])
        idx = np.flatnonzero(seen)
        if len(idx) == 0:
            continue
        first, last = int(idx[0]), int(idx[-1])
        if len(idx) != last - first + 1:
            raise ValueError(f"actor {actor.id} leaves the picture and comes back; split it into two actors")
        tracks.append({"id": actor.id, "class": actor.cls, "first_frame": first, "last_frame": last,
                       "boxes": clipped[first:last + 1].tolist()})
    return tracks


def anchors(boxes: np.ndarray) -> np.ndarray:
    """Bottom-centre points (n, 2) of boxes (n, 4)."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.stack([(boxes[:, 0] + boxes[:, 2]) / 2.0, boxes[:, 3]], axis=1)


def in_side(points: np.ndarray, start, end) -> np.ndarray:
    """True where a point is on the line's "in" side (supervision LineZone: cross product < 0)."""
    (sx, sy), (ex, ey) = start, end
    cross = (ex - sx) * (points[:, 1] - sy) - (ey - sy) * (points[:, 0] - sx)
    return cross < 0


def _crosses_segment(p0: np.ndarray, p1: np.ndarray, start, end) -> bool:
    """True when the move p0 -> p1 meets the line within its segment (start..end)."""
    s, e = np.asarray(start, np.float64), np.asarray(end, np.float64)
    d, m = e - s, p1 - p0
    denom = d[0] * m[1] - d[1] * m[0]
    if denom == 0:
        return False
    q = p0 - s
    u = (q[0] * m[1] - q[1] * m[0]) / denom  # position along the line segment
    return bool(0.0 <= u <= 1.0)


def inside_polygon(points: np.ndarray, polygon) -> np.ndarray:
    """Even-odd ray casting: True where a point is inside the polygon."""
    poly = np.asarray(polygon, np.float64)
    x, y = points[:, 0][:, None], points[:, 1][:, None]
    x1, y1 = poly[:, 0][None, :], poly[:, 1][None, :]
    x2, y2 = np.roll(poly[:, 0], -1)[None, :], np.roll(poly[:, 1], -1)[None, :]
    straddles = (y1 > y) != (y2 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    hits = straddles & (x < x_at)
    return (hits.sum(axis=1) % 2) == 1


def _event(fps: float, type_: str, frame: int, track: dict, region: str = "", direction: str = "",
           value: float | None = None, end_frame: int | None = None) -> dict[str, Any]:
    return {"type": type_, "frame": frame, "time": round(frame / fps, 3), "track_id": track["id"],
            "class": track["class"], "region": region, "direction": direction,
            "value": None if value is None else round(value, 3), "end_frame": end_frame,
            "end_time": None if end_frame is None else round(end_frame / fps, 3)}


def _line_events(track: dict, region: Region, fps: float) -> list[dict]:
    pts = anchors(np.asarray(track["boxes"]))
    sides = in_side(pts, *region.points)
    out = []
    for i in range(1, len(pts)):
        if sides[i] != sides[i - 1] and _crosses_segment(pts[i - 1], pts[i], *region.points):
            out.append(_event(fps, "line_crossing", track["first_frame"] + i, track, region.name,
                              "in" if sides[i] else "out"))
    return out


def _zone_events(track: dict, region: Region, fps: float) -> list[dict]:
    inside = inside_polygon(anchors(np.asarray(track["boxes"])), region.points)
    out, entered = [], None
    for i, now in enumerate(inside):
        before = bool(inside[i - 1]) if i > 0 else False
        frame = track["first_frame"] + i
        if now and not before:
            entered = frame
            out.append(_event(fps, "zone_enter", frame, track, region.name))
        elif before and not now:
            out.append(_event(fps, "zone_exit", frame, track, region.name))
            out.append(_event(fps, "dwell", entered, track, region.name, value=(frame - entered) / fps,
                              end_frame=frame))
    return out


def _stop_events(scenario: Scenario, track: dict, zones: list[Region]) -> list[dict]:
    actor = next(a for a in scenario.actors if a.id == track["id"])
    first, last = track["first_frame"], track["last_frame"]
    pos, _ = actor.positions(scenario.times()[first:last + 1])
    still = np.all(np.diff(pos, axis=0) == 0, axis=1)  # still[i]: no move from frame i to i+1
    out, i, fps = [], 0, scenario.fps
    while i < len(still):
        if not still[i]:
            i += 1
            continue
        j = i
        while j < len(still) and still[j]:
            j += 1
        if (j - i) / fps >= MIN_STOP_S:  # frames first+i .. first+j share one position
            anchor = anchors(np.asarray([track["boxes"][i]]))
            names = [z.name for z in zones if inside_polygon(anchor, z.points)[0]] or [""]
            out += [_event(fps, "stopped", first + i, track, name, value=(j - i) / fps, end_frame=first + j)
                    for name in names]
        i = j
    return out


def compute_truth(scenario: Scenario, seed: int = 0) -> dict[str, Any]:
    """The full truth record (see the module docstring) of `scenario`."""
    tracks = visible_boxes(scenario)
    lines = [r for r in scenario.regions if r.kind == "line"]
    zones = [r for r in scenario.regions if r.kind == "polygon"]
    events: list[dict] = []
    for track in tracks:
        for line in lines:
            events += _line_events(track, line, scenario.fps)
        for zone in zones:
            events += _zone_events(track, zone, scenario.fps)
        events += _stop_events(scenario, track, zones)
    events.sort(key=lambda e: (e["frame"], e["track_id"], e["type"], e["region"]))
    return {
        "version": TRUTH_VERSION, "scenario": scenario.name, "seed": seed, "fps": scenario.fps,
        "size": list(scenario.size), "frames": scenario.frame_count,
        "regions": {r.name: r.to_dict() for r in scenario.regions}, "tracks": tracks, "events": events,
    }


def save_truth(truth: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(truth, separators=(",", ":")), encoding="utf-8")
    return path


def load_truth(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def boxes_at(truth: dict[str, Any], frame: int) -> list[tuple[int, str, list[int]]]:
    """(track id, class, box) of every track visible in `frame`."""
    return [(t["id"], t["class"], t["boxes"][frame - t["first_frame"]]) for t in truth["tracks"]
            if t["first_frame"] <= frame <= t["last_frame"]]


def event_counts(truth: dict[str, Any], **where: Any) -> Counter:
    """Counts of events by (type, region, direction), optionally only those matching every `field=value` given."""
    keep = [e for e in truth["events"] if all(e.get(k) == v for k, v in where.items())]
    return Counter((e["type"], e["region"], e["direction"]) for e in keep)


def min_gap(scenario: Scenario) -> float:
    """Smallest distance in pixels between any two visible actors' boxes over the whole clip (negative = overlap).

    The distance of two boxes is the larger of their horizontal and vertical gaps; scenarios keep it well above zero
    so a background-subtraction detector never merges two actors.
    """
    tracks = visible_boxes(scenario)
    n = scenario.frame_count
    grid = np.full((len(tracks), n, 4), np.nan)
    for k, t in enumerate(tracks):
        grid[k, t["first_frame"]:t["last_frame"] + 1] = t["boxes"]
    best = np.inf
    for a in range(len(tracks)):
        for b in range(a + 1, len(tracks)):
            ba, bb = grid[a], grid[b]
            gx = np.maximum(bb[:, 0] - ba[:, 2], ba[:, 0] - bb[:, 2])
            gy = np.maximum(bb[:, 1] - ba[:, 3], ba[:, 1] - bb[:, 3])
            gap = np.maximum(gx, gy)
            if np.any(~np.isnan(gap)):
                best = min(best, float(np.nanmin(gap)))
    return best
