"""Raise an event when the picture stays too dark or too bright (camera covered, sprayed or blinded)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from workbench.core.block import Block, BlockConfig, StreamContext
from workbench.core.events import Event
from workbench.core.frames import Frame
from workbench.core.i18n import add_messages
from workbench.core.kinds import Kind, Port

add_messages({
    "block.plugins/camera_tamper.title": {"en": "Camera tamper", "zh": "摄像头遮挡"},
    "block.plugins/camera_tamper.description": {
        "en": "Alarm when the picture stays too dark or too bright (covered or blinded camera).",
        "zh": "画面持续过暗或过亮时报警（摄像头被遮挡或强光致盲）。",
    },
})


class CameraTamperConfig(BlockConfig):
    min_brightness: float = Field(20.0, ge=0, le=255, description="Mean grey level below this counts as covered")
    max_brightness: float = Field(245.0, ge=0, le=255, description="Mean grey level above this counts as blinded")
    min_seconds: float = Field(2.0, ge=0, description="The picture must stay bad this long before the alarm")


@dataclass
class _State:
    bad_since: float | None = None
    alarmed: bool = False


class CameraTamper(Block[CameraTamperConfig]):
    """Alarm when the picture stays too dark or too bright."""

    type_id = "plugins/camera_tamper@v1"
    Config = CameraTamperConfig
    inputs = (Port("image", Kind.IMAGE),)
    outputs = (Port("events", Kind.EVENTS),)

    def start(self, ctx: StreamContext) -> _State:
        return _State()

    def process(self, state: _State, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        level = float(inputs["image"].image.mean())
        if self.config.min_brightness <= level <= self.config.max_brightness:
            state.bad_since, state.alarmed = None, False
            return {"events": ()}
        if state.bad_since is None:
            state.bad_since = frame.pts
        if state.alarmed or frame.pts - state.bad_since < self.config.min_seconds:
            return {"events": ()}
        state.alarmed = True
        event = Event(time=frame.wall_time.isoformat(), pts=frame.pts, frame=frame.index, node=self.node_id,
                      type="camera_tamper", value=round(level, 1), source=frame.source)
        return {"events": (event,)}
