"""Ground truth of a real-pixel clip: the truth format of `workbench.features.synth.truth` (version 1), with the
boxes measured on the composited masks and three additions per track (see that module's docstring):
`full_boxes` (the whole object, clipped to the picture), `visibility` (share of the object's pixels that can be
seen) and `parked: true` for the parked vehicles of the background. Events are measured on `full_boxes`: an object
that crosses a line behind a bus still crosses it once. A walker's swinging arm may touch the picture's edge for a
frame or two before the walker enters for good: such slivers are left out of the track.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from workbench.features.synth.real.render import Seen
from workbench.features.synth.real.scene import RealScene
from workbench.features.synth.truth import TRUTH_VERSION, _event, _line_events, _stop_events, _zone_events, anchors
from workbench.features.synth.truth import inside_polygon as _inside

EDGE_FLICKER = 5  # frames


def _tracks(scene: RealScene, seen: Iterable[list[Seen]], parked: Mapping[int, str]) -> list[dict[str, Any]]:
    rows: dict[int, list[tuple[int, Seen]]] = defaultdict(list)
    for frame, objects in enumerate(seen):
        for s in objects:
            if s.full is not None:
                rows[s.id].append((frame, s))
    classes = {a.id: a.cls for a in scene.scenario.actors} | dict(parked)
    tracks = []
    for tid in sorted(rows):
        rows[tid] = _main_run(tid, rows[tid])
        first, last = rows[tid][0][0], rows[tid][-1][0]
        track: dict[str, Any] = {
            "id": tid, "class": classes[tid], "first_frame": first, "last_frame": last,
            "boxes": [list(s.visible or s.full) for _, s in rows[tid]],  # type: ignore[arg-type]
            "full_boxes": [list(s.full) for _, s in rows[tid]],  # type: ignore[arg-type]
            "visibility": [round(s.visible_px / s.total_px, 3) if s.total_px else 0.0 for _, s in rows[tid]],
        }
        if tid in parked:
            track["parked"] = True
        tracks.append(track)
    return tracks


def _main_run(tid: int, rows: list[tuple[int, Seen]]) -> list[tuple[int, Seen]]:
    """The longest run of consecutive frames. Other runs may only be slivers at the picture's edge (a swinging arm
    that enters a frame early): at most EDGE_FLICKER frames; anything longer is a path that leaves and comes back."""
    runs: list[list[tuple[int, Seen]]] = [[rows[0]]]
    for row in rows[1:]:
        if row[0] == runs[-1][-1][0] + 1:
            runs[-1].append(row)
        else:
            runs.append([row])
    runs.sort(key=len, reverse=True)
    if any(len(r) > EDGE_FLICKER for r in runs[1:]):
        raise ValueError(f"actor {tid} leaves the picture and comes back; split it into two actors")
    return runs[0]


def _parked_stop(track: dict[str, Any], zones: list, fps: float) -> list[dict[str, Any]]:
    """A parked vehicle stands still for the whole clip: one `stopped` event from its first to its last frame."""
    anchor = anchors([track["full_boxes"][0]])
    names = [z.name for z in zones if _inside(anchor, z.points)[0]] or [""]
    first, last = track["first_frame"], track["last_frame"]
    return [_event(fps, "stopped", first, track, name, value=(last - first) / fps, end_frame=last) for name in names]


def real_truth(scene: RealScene, seed: int, seen: Iterable[list[Seen]],
               parked: Mapping[int, str] | None = None) -> dict[str, Any]:
    """The truth record from what was seen in every frame (`render_real`); `parked` = {track id: class} of the
    parked vehicles measured with the clip."""
    sc = scene.scenario
    tracks = _tracks(scene, seen, parked or {})
    lines = [r for r in sc.regions if r.kind == "line"]
    zones = [r for r in sc.regions if r.kind == "polygon"]
    events: list[dict] = []
    for track in tracks:
        view = {**track, "boxes": track["full_boxes"]}
        for line in lines:
            events += _line_events(view, line, sc.fps)
        for zone in zones:
            events += _zone_events(view, zone, sc.fps)
        events += _parked_stop(view, zones, sc.fps) if track.get("parked") else _stop_events(sc, view, zones)
    events.sort(key=lambda e: (e["frame"], e["track_id"], e["type"], e["region"]))
    return {
        "version": TRUTH_VERSION, "scenario": sc.name, "seed": seed, "fps": sc.fps, "size": list(sc.size),
        "frames": sc.frame_count, "regions": {r.name: r.to_dict() for r in sc.regions}, "tracks": tracks,
        "events": events,
    }
