"""Raise a stopped event when a track stands still (illegal parking, broken-down vehicle), optionally in a zone."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import Field

from blocks.rules._common import EPS, POLYGON_HELP, Polygon, TrackRuleConfig
from blocks.rules._zone_rule import Sighting, TrackZoneRule
from workbench.core.events import Event
from workbench.core.kinds import Kind, Port

MOVE_FRAMES = 3  # observations in a row away from the resting point that count as moving (one glitch does not)


class StoppedConfig(TrackRuleConfig):
    polygon: Polygon | None = Field(None, description=POLYGON_HELP + "; empty = the whole image")
    min_seconds: float = Field(20.0, gt=0, le=86400,
                               description="Raise the event once a track has stood still this long")
    max_movement_px: float = Field(10.0, gt=0, le=1000, description=(
        "Standing still = the anchor stays within this many pixels of where the object came to rest (the mean of "
        "its positions since). Moving farther for 3 frames in a row ends the stop and re-arms the rule"))


@dataclass
class Stop:
    since: float = 0.0  # when the current still period began
    centre: np.ndarray | None = None  # mean anchor position since then
    samples: int = 0
    away: int = 0  # observations in a row farther than max_movement_px from the centre
    reported: bool = False

    def restart(self, pts: float, point: np.ndarray) -> None:
        self.since, self.centre, self.samples, self.away, self.reported = pts, point.copy(), 1, 0, False

    def update(self, pts: float, point: np.ndarray, max_movement: float) -> None:
        if self.centre is None:
            self.restart(pts, point)
        elif np.hypot(*(point - self.centre)) > max_movement:
            self.away += 1
            if self.away >= MOVE_FRAMES:
                self.restart(pts, point)  # it moved: a later stop is a new episode
        else:
            self.away, self.samples = 0, self.samples + 1
            self.centre += (point - self.centre) / self.samples


class StoppedObject(TrackZoneRule[StoppedConfig, Stop]):
    """Raise one stopped event per stop when a track stays put for min_seconds (value = seconds stopped)."""

    type_id = "rules/stopped@v1"
    Config = StoppedConfig
    outputs = (Port("events", Kind.EVENTS, description="One stopped event per stop episode"),)
    new_record = Stop

    def observe(self, record: Stop, seen: Sighting) -> Event | None:
        pts = seen.frame.pts
        record.update(pts, seen.point, self.config.max_movement_px)
        seconds = pts - record.since
        if not seen.inside or record.reported or record.away or seconds < self.config.min_seconds - EPS:
            return None
        record.reported = True
        return self.event("stopped", seen, value=round(seconds, 3))
