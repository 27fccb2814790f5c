"""Keep or drop detections by class name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import supervision as sv
from pydantic import Field

from workbench.core.block import Block, BlockConfig
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port


class ClassFilterConfig(BlockConfig):
    include: tuple[str, ...] = Field(
        (), description="Keep only these class names, e.g. [car, truck] (empty = keep every class)")
    exclude: tuple[str, ...] = Field(
        (), description="Drop these class names, e.g. [person]; applied after include")


class ClassFilter(Block[ClassFilterConfig]):
    """Keep detections whose class is in `include` (all when empty) and not in `exclude`; names ignore case."""

    type_id = "filters/class@v1"
    Config = ClassFilterConfig
    inputs = (Port("detections", Kind.DETECTIONS, description="Detections to filter"),)
    outputs = (Port("detections", Kind.DETECTIONS, description="Detections of the chosen classes"),)

    @classmethod
    def output_classes(cls, config: ClassFilterConfig, upstream: frozenset[str] | None) -> frozenset[str] | None:
        def fold(names: tuple[str, ...] | frozenset[str]) -> set[str]:
            return {n.strip().lower() for n in names}

        if upstream is None:
            return frozenset(config.include) - frozenset(config.exclude) if config.include else None
        kept = {c for c in upstream if not config.include or c.strip().lower() in fold(config.include)}
        return frozenset(c for c in kept if c.strip().lower() not in fold(config.exclude))

    def process(self, state: None, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        dets: sv.Detections = inputs["detections"]
        names = np.array([str(n).strip().lower() for n in dets.data.get("class_name", [""] * len(dets))], dtype=object)
        keep = np.ones(len(dets), dtype=bool)
        if self.config.include:
            keep &= np.isin(names, [n.strip().lower() for n in self.config.include])
        if self.config.exclude:
            keep &= ~np.isin(names, [n.strip().lower() for n in self.config.exclude])
        return {"detections": dets[keep]}
