"""Keep or drop detections by class name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import supervision as sv
from pydantic import Field

from workbench.core.block import Block, BlockConfig
from workbench.core.class_names import class_key, class_keys, class_mask
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port


class ClassFilterConfig(BlockConfig):
    include: tuple[str, ...] = Field(
        (), description="Keep only these class names, e.g. [car, truck] (empty = keep every class)")
    exclude: tuple[str, ...] = Field(
        (), description="Drop these class names, e.g. [person]; applied after include")


class ClassFilter(Block[ClassFilterConfig]):
    """Keep detections whose class is in `include` (all when empty) and not in `exclude`; names ignore case and
    surrounding spaces (workbench.core.class_names, as in the rules)."""

    type_id = "filters/class@v1"
    Config = ClassFilterConfig
    inputs = (Port("detections", Kind.DETECTIONS, description="Detections to filter"),)
    outputs = (Port("detections", Kind.DETECTIONS, description="Detections of the chosen classes"),)

    @classmethod
    def output_classes(cls, config: ClassFilterConfig, upstream: frozenset[str] | None) -> frozenset[str] | None:
        if upstream is None:
            if not config.include:
                return None
            dropped = class_keys(config.exclude)
            return frozenset(c for c in config.include if class_key(c) not in dropped)
        kept = {c for c in upstream if not config.include or class_key(c) in class_keys(config.include)}
        return frozenset(c for c in kept if class_key(c) not in class_keys(config.exclude))

    def process(self, state: None, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        dets: sv.Detections = inputs["detections"]
        names = dets.data.get("class_name", [""] * len(dets))
        keep = np.ones(len(dets), dtype=bool)
        if self.config.include:
            keep &= class_mask(names, self.config.include)
        if self.config.exclude:
            keep &= ~class_mask(names, self.config.exclude)
        return {"detections": dets[keep]}
