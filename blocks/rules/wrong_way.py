"""Raise a wrong_way event when a track moves against the expected direction of traffic."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import Field, field_validator

from blocks.rules._common import POLYGON_HELP, Motion, Polygon, TrackRuleConfig
from blocks.rules._zone_rule import MotionRule
from workbench.core.kinds import Kind, Port


class WrongWayConfig(TrackRuleConfig):
    polygon: Polygon | None = Field(None, description=(
        POLYGON_HELP + "; only motion inside it is checked. Empty = the whole image"))
    expected_direction: tuple[float, float] = Field(..., description=(
        "Allowed direction of travel as an image vector [dx, dy] (x to the right, y DOWN the image): [0, 1] = "
        "moving down the image, [-1, 0] = moving left"))
    window_seconds: float = Field(1.0, ge=0.1, le=10, description="Judge the motion over the last this many seconds")
    min_displacement_px: float = Field(20.0, ge=1, le=2000, description=(
        "Ignore tracks that moved less than this many pixels over the window (standing objects, box jitter)"))
    max_angle_deg: float = Field(120.0, ge=1, le=179, description=(
        "Largest angle between the motion and expected_direction that is still fine; more = wrong way. 90 flags "
        "anything with a backward component, 150 only nearly head-on travel"))

    @field_validator("expected_direction")
    @classmethod
    def _not_zero(cls, v: tuple[float, float]) -> tuple[float, float]:
        if math.hypot(*v) < 1e-9:
            raise ValueError("expected_direction [0, 0] has no direction: give e.g. [0, 1] for down the image")
        return v


class WrongWay(MotionRule[WrongWayConfig]):
    """Raise one wrong_way event per track whose recent motion points against the expected direction (value = angle)."""

    type_id = "rules/wrong_way@v1"
    Config = WrongWayConfig
    outputs = (Port("events", Kind.EVENTS, description="One wrong_way event per track going the wrong way"),)
    site_fields = ("polygon", "expected_direction")
    event_type = "wrong_way"

    def angle_deg(self, motion: Motion) -> float | None:
        """Angle between the motion over the window and the expected direction; None if it barely moved."""
        moved = motion.displacement()
        length = float(np.hypot(*moved))
        if length < self.config.min_displacement_px:
            return None
        expected = np.asarray(self.config.expected_direction, dtype=float)
        cos = float(np.dot(moved, expected)) / (length * float(np.hypot(*expected)))
        return math.degrees(math.acos(max(-1.0, min(1.0, cos))))

    def judge(self, motion: Motion) -> dict[str, Any] | None:
        angle = self.angle_deg(motion)
        return None if angle is None or angle <= self.config.max_angle_deg else {"value": round(angle, 1)}
