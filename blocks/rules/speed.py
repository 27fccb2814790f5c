"""Estimate each track's ground speed from its recent motion and raise a speeding event above a limit."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from blocks.rules._common import EPS, POLYGON_HELP, Motion, Polygon, TrackRuleConfig
from blocks.rules._zone_rule import MotionRule
from workbench.core.kinds import Kind, Port


class SpeedConfig(TrackRuleConfig):
    polygon: Polygon | None = Field(None, description=(
        POLYGON_HELP + "; only motion inside it is measured. Empty = the whole image"))
    pixels_per_meter: float = Field(..., gt=0, le=10000, description=(
        "Calibration: how many pixels one metre on the road spans in the image where speed is measured (measure a "
        "known length, e.g. a lane marking). One scale for the whole zone, so keep the zone where it holds"))
    window_seconds: float = Field(1.0, ge=0.1, le=10, description=(
        "Speed is the straight-line distance the anchor moved over this many seconds, divided by the time"))
    limit_kmh: float = Field(50.0, gt=0, le=500, description="Raise a speeding event when the estimate reaches this")


class SpeedEstimate(MotionRule[SpeedConfig]):
    """Raise one speeding event per track when its speed over the window reaches the limit (value = km/h)."""

    type_id = "rules/speed@v1"
    Config = SpeedConfig
    outputs = (Port("events", Kind.EVENTS, description="One speeding event per track over the limit"),)
    site_fields = ("polygon", "pixels_per_meter")
    event_type = "speeding"

    def speed_kmh(self, motion: Motion) -> float | None:
        """km/h over the window, None until the track has been measured for a whole window."""
        if not motion.covers_window() or motion.span() < EPS:
            return None
        metres = float(np.hypot(*motion.displacement())) / self.config.pixels_per_meter
        return metres / motion.span() * 3.6

    def judge(self, motion: Motion) -> dict[str, Any] | None:
        kmh = self.speed_kmh(motion)
        if kmh is None or kmh < self.config.limit_kmh:
            return None
        return {"value": round(kmh, 2), "extra": {"limit_kmh": self.config.limit_kmh}}
