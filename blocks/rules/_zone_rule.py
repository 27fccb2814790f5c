"""The loop most rules share: each confirmed track of the wanted classes is looked at once per frame, inside or outside
an optional zone, with a small record kept per track; a rule only says what one sighting means (`observe`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
import supervision as sv

from blocks.rules._common import (
    Motion,
    WatchedMotion,
    ZoneTracks,
    anchors,
    inside,
    select,
    track_event,
    zone_overlay,
    zone_tracks,
)
from workbench.core.block import Block, C, Overlay, StreamContext
from workbench.core.events import Event
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port

R = TypeVar("R")


@dataclass(frozen=True)
class Sighting:
    """One track (row `index` of `tracks`) in one frame: whether its anchor `point` is in the zone."""

    frame: Frame
    tracks: sv.Detections
    index: int
    inside: bool
    point: np.ndarray


class TrackZoneRule(Block[C], Generic[C, R]):
    """A rule over tracks in a zone (`config.polygon`; None = the whole image) with a record `R` per track."""

    inputs = (Port("tracks", Kind.TRACKS, description="Tracked objects"),)
    site_fields: ClassVar[tuple[str, ...]] = ("polygon",)

    def new_record(self) -> R:
        """The record of a track seen for the first time (or again after it was forgotten)."""
        raise NotImplementedError

    def observe(self, record: R, seen: Sighting) -> Event | None:
        """Update the track's record with one sighting; the event it raises, if any."""
        raise NotImplementedError

    def start(self, ctx: StreamContext | None = None) -> ZoneTracks[R]:
        return zone_tracks(self.config, self.config.polygon, self.new_record)  # type: ignore[attr-defined]

    def process(self, state: ZoneTracks[R], frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        cfg = self.config
        tracks = select(inputs["tracks"], cfg, self.node_id)  # type: ignore[arg-type]
        points, in_zone = anchors(tracks, cfg.anchor), inside(state.zone, tracks)  # type: ignore[attr-defined]
        events = []
        for i, track_id in enumerate(tracks.tracker_id):
            record = state.tracks.see(track_id, frame.pts)
            event = self.observe(record, Sighting(frame, tracks, i, bool(in_zone[i]), points[i]))
            if event is not None:
                events.append(event)
        state.tracks.forget_stale(frame.pts)
        return {"events": tuple(events)}

    def event(self, type_: str, seen: Sighting, **fields: Any) -> Event:
        """An event of this rule about the sighted track."""
        return track_event(self.node_id, seen.frame, type_, seen.tracks, seen.index,
                           self.config.name, **fields)  # type: ignore[attr-defined]

    def overlays(self) -> list[Overlay]:
        return zone_overlay(self.node_id, self.config.polygon, self.config.name)  # type: ignore[attr-defined]


class MotionRule(TrackZoneRule[C, WatchedMotion]):
    """A rule that judges each track's motion over `config.window_seconds` inside the zone, once per track."""

    event_type: ClassVar[str]

    def judge(self, motion: Motion) -> dict[str, Any] | None:
        """The event's fields (value, extra) when the motion breaks the rule, else None."""
        raise NotImplementedError

    def new_record(self) -> WatchedMotion:
        return WatchedMotion(Motion(self.config.window_seconds))  # type: ignore[attr-defined]

    def observe(self, record: WatchedMotion, seen: Sighting) -> Event | None:
        if not seen.inside:
            record.motion.clear()  # judge only motion inside the zone: start again when it comes back
            return None
        record.motion.add(seen.frame.pts, seen.point)
        fields = self.judge(record.motion)
        if fields is None or record.reported:
            return None
        record.reported = True
        return self.event(self.event_type, seen, **fields)
