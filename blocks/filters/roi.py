"""Keep (or drop) detections inside a region of interest drawn on the camera image."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import supervision as sv
from pydantic import Field

from workbench.core.block import Block, BlockConfig, Overlay, StreamContext
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port
from workbench.core.shapes import MAX_POLYGON_POINTS, Polygon

Anchor = Literal["bottom_center", "center", "top_center", "bottom_left", "bottom_right", "top_left", "top_right",
                 "center_left", "center_right"]


class RoiFilterConfig(BlockConfig):
    polygon: Polygon = Field(..., description=f"Corners of the region, [x, y] in pixels of the camera image, 3 to "
                                              f"{MAX_POLYGON_POINTS}")
    mode: Literal["include", "exclude"] = Field(
        "include", description="include = keep detections inside the region; exclude = drop them")
    anchor: Anchor = Field(
        "bottom_center",
        description="Point of the box that must lie in the region: bottom_center is where an object touches the ground",
    )


class RoiFilter(Block[RoiFilterConfig]):
    """Keep detections whose anchor point (default: bottom centre) is inside the polygon, or outside with exclude."""

    type_id = "filters/roi@v1"
    Config = RoiFilterConfig
    inputs = (Port("detections", Kind.DETECTIONS, description="Detections to filter"),)
    outputs = (Port("detections", Kind.DETECTIONS, description="Detections inside (or outside) the region"),)
    site_fields = ("polygon",)

    def start(self, ctx: StreamContext) -> sv.PolygonZone:
        """A zone per stream: supervision's PolygonZone keeps a count, so it is stream state, not block state."""
        return sv.PolygonZone(polygon=np.round(np.array(self.config.polygon)).astype(int),
                              triggering_anchors=(sv.Position[self.config.anchor.upper()],))

    def process(self, state: sv.PolygonZone, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        dets: sv.Detections = inputs["detections"]
        inside = state.trigger(dets)
        return {"detections": dets[inside if self.config.mode == "include" else ~inside]}

    def overlays(self) -> list[Overlay]:
        return [Overlay(node=self.node_id, shape="polygon", points=tuple(self.config.polygon), label=self.node_id)]
