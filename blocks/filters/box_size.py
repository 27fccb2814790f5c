"""Keep detections whose box size and shape are within bounds (drop far-away specks or huge false boxes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import supervision as sv
from pydantic import Field, ValidationInfo, field_validator

from workbench.core.block import Block, BlockConfig
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port

Bound = float | None  # a limit; None = no limit


class BoxSizeFilterConfig(BlockConfig):
    min_width: Bound = Field(None, ge=0.0, description="Drop boxes narrower than this, in pixels (empty = no limit)")
    max_width: Bound = Field(None, gt=0.0, description="Drop boxes wider than this, in pixels (empty = no limit)")
    min_height: Bound = Field(None, ge=0.0, description="Drop boxes shorter than this, in pixels (empty = no limit)")
    max_height: Bound = Field(None, gt=0.0, description="Drop boxes taller than this, in pixels (empty = no limit)")
    min_area: Bound = Field(None, ge=0.0, description="Drop boxes smaller than this, in pixels² (empty = no limit)")
    max_area: Bound = Field(None, gt=0.0, description="Drop boxes larger than this, in pixels² (empty = no limit)")
    min_aspect: Bound = Field(None, gt=0.0, description="Drop boxes whose width / height is below this; "
                              "1.0 keeps wide boxes (empty = no limit)")
    max_aspect: Bound = Field(None, gt=0.0, description="Drop boxes whose width / height is above this; "
                              "1.0 keeps tall boxes (empty = no limit)")

    @field_validator("max_width", "max_height", "max_area", "max_aspect")
    @classmethod
    def _max_not_below_min(cls, high: Bound, info: ValidationInfo) -> Bound:
        low_name = "min_" + info.field_name.removeprefix("max_")
        low = info.data.get(low_name)
        if high is not None and low is not None and low > high:
            raise ValueError(f"{info.field_name} ({high}) is smaller than {low_name} ({low})")
        return high


class BoxSizeFilter(Block[BoxSizeFilterConfig]):
    """Keep detections whose width, height, area and width/height ratio are within the set bounds."""

    type_id = "filters/box_size@v1"
    Config = BoxSizeFilterConfig
    inputs = (Port("detections", Kind.DETECTIONS, description="Detections to filter"),)
    outputs = (Port("detections", Kind.DETECTIONS, description="Detections whose boxes are within the bounds"),)

    def process(self, state: None, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        dets: sv.Detections = inputs["detections"]
        w = dets.xyxy[:, 2] - dets.xyxy[:, 0]
        h = dets.xyxy[:, 3] - dets.xyxy[:, 1]
        measures = {"width": w, "height": h, "area": w * h, "aspect": w / np.maximum(h, 1e-6)}
        keep = np.ones(len(dets), dtype=bool)
        for name, values in measures.items():
            low, high = getattr(self.config, f"min_{name}"), getattr(self.config, f"max_{name}")
            if low is not None:
                keep &= values >= low
            if high is not None:
                keep &= values <= high
        return {"detections": dets[keep]}
