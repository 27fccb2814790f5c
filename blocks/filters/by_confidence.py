"""Keep detections whose confidence is at least a threshold."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import supervision as sv
from pydantic import Field

from workbench.core.block import Block, BlockConfig
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port


class ConfidenceFilterConfig(BlockConfig):
    min_confidence: float = Field(0.25, ge=0.0, le=1.0, description="Drop detections below this confidence (0-1)")


class ConfidenceFilter(Block[ConfidenceFilterConfig]):
    """Keep detections whose confidence is at least the threshold; detections without a confidence are kept."""

    type_id = "filters/confidence@v1"
    Config = ConfidenceFilterConfig
    inputs = (Port("detections", Kind.DETECTIONS, description="Detections to filter"),)
    outputs = (Port("detections", Kind.DETECTIONS, description="Detections at or above the threshold"),)

    def process(self, state: None, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        dets: sv.Detections = inputs["detections"]
        if dets.confidence is None:
            return {"detections": dets}
        return {"detections": dets[dets.confidence >= self.config.min_confidence]}
