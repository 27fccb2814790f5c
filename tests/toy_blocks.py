"""Small in-memory blocks for testing the core without video, models or the prebuilt blocks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import numpy as np
import supervision as sv
from pydantic import Field

from workbench.core.block import Block, BlockConfig, SourceBlock, StreamContext, VideoStream
from workbench.core.events import Event
from workbench.core.frames import Frame, read_only
from workbench.core.kinds import Kind, Port
from workbench.core.registry import BlockRegistry


class ToySourceConfig(BlockConfig):
    path: str = Field("toy", description="Name of the toy stream")
    frames: int = Field(10, ge=0, description="Frames to yield")
    stride: int = Field(1, ge=1, description="Keep every Nth frame")
    start: float = Field(0.0, ge=0, description="Start second")
    end: float | None = Field(None, description="End second")


class ToySource(SourceBlock[ToySourceConfig]):
    """Yields grey frames."""

    type_id = "sources/toy@v1"
    Config = ToySourceConfig
    outputs = (Port("frames", Kind.IMAGE),)

    def open(self) -> VideoStream:
        t0 = datetime(2026, 1, 1, 8, 0, 0)

        def gen():
            for i in range(0, self.config.frames, self.config.stride):
                img = read_only(np.full((48, 64, 3), i % 255, dtype=np.uint8))
                yield Frame(image=img, index=i, pts=i / 10, wall_time=t0 + timedelta(seconds=i / 10), source="toy")

        return VideoStream(frames=gen(), fps=10.0, frame_size=(64, 48), frame_count=self.config.frames)


class ToyDetectorConfig(BlockConfig):
    speed: float = Field(2.0, description="Pixels per frame the box moves")


class ToyDetector(Block[ToyDetectorConfig]):
    """One box moving right."""

    type_id = "detection/toy@v1"
    Config = ToyDetectorConfig
    inputs = (Port("image", Kind.IMAGE),)
    outputs = (Port("detections", Kind.DETECTIONS),)

    def process(self, state: Any, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        x = frame.index * self.config.speed
        return {"detections": sv.Detections(xyxy=np.array([[x, 10, x + 8, 30]], dtype=np.float32),
                                            confidence=np.array([0.9]), class_id=np.array([0]),
                                            data={"class_name": np.array(["car"])})}


class ToyTrackerConfig(BlockConfig):
    pass


class ToyTracker(Block[ToyTrackerConfig]):
    """Gives every detection track id 1."""

    type_id = "tracking/toy@v1"
    Config = ToyTrackerConfig
    inputs = (Port("detections", Kind.DETECTIONS),)
    outputs = (Port("tracks", Kind.TRACKS),)

    def process(self, state: Any, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        d = inputs["detections"]
        return {"tracks": sv.Detections(xyxy=d.xyxy.copy(), confidence=d.confidence, class_id=d.class_id,
                                        tracker_id=np.ones(len(d), dtype=int), data=dict(d.data))}


class ToyRuleConfig(BlockConfig):
    every: int = Field(3, ge=1, description="Raise an event every N frames")


@dataclass
class _Counter:
    seen: int = 0


class ToyRule(Block[ToyRuleConfig]):
    """Raises an event every N frames."""

    type_id = "rules/toy@v1"
    Config = ToyRuleConfig
    inputs = (Port("tracks", Kind.TRACKS),)
    outputs = (Port("events", Kind.EVENTS),)

    def start(self, ctx: StreamContext) -> _Counter:
        return _Counter()

    def process(self, state: _Counter, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        state.seen += 1
        if state.seen % self.config.every:
            return {"events": ()}
        return {"events": (Event(time=frame.wall_time.isoformat(), pts=frame.pts, frame=frame.index,
                                 node=self.node_id, type="tick", track_id=1),)}


class ToySinkConfig(BlockConfig):
    fail_at: int | None = Field(None, description="Raise a crash at this frame index (tests)")
    fail_on_start: bool = Field(False, description="Raise OSError when a stream starts (tests)")


@dataclass
class _Collected:
    events: list = field(default_factory=list)
    finished: bool = False


class ToySink(Block[ToySinkConfig]):
    """Collects events in memory and passes them on."""

    type_id = "sinks/toy@v1"
    Config = ToySinkConfig
    inputs = (Port("events", Kind.EVENTS, many=True), Port("image", Kind.IMAGE, required=False))
    outputs = (Port("events", Kind.EVENTS),)
    started: ClassVar[list[_Collected]] = []  # every state started, so tests can see what was closed

    def start(self, ctx: StreamContext) -> _Collected:
        if self.config.fail_on_start:
            raise OSError("disk gone")
        state = _Collected()
        self.started.append(state)
        return state

    def process(self, state: _Collected, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if self.config.fail_at is not None and frame.index == self.config.fail_at:
            raise ZeroDivisionError("toy failure")
        state.events.extend(inputs["events"])
        return {"events": inputs["events"]}

    def finish(self, state: _Collected) -> dict[str, Any]:
        state.finished = True
        return {"collected": len(state.events)}


TOYS = (ToySource, ToyDetector, ToyTracker, ToyRule, ToySink)


def toy_registry() -> BlockRegistry:
    return BlockRegistry.of(TOYS)


def toy_spec_dict() -> dict:
    """A valid 5-node toy pipeline, as it would be loaded from YAML."""
    return {
        "version": 1,
        "meta": {"name": "toy", "description": "toy pipeline", "author": "tests", "version": "1.0.0"},
        "nodes": [
            {"id": "src", "type": "sources/toy@v1", "config": {"frames": 10}},
            {"id": "det", "type": "detection/toy@v1", "config": {}},
            {"id": "trk", "type": "tracking/toy@v1", "config": {}},
            {"id": "rule", "type": "rules/toy@v1", "config": {"every": 3}},
            {"id": "sink", "type": "sinks/toy@v1", "config": {}},
        ],
        "edges": [
            {"from": "src.frames", "to": "det.image"},
            {"from": "det.detections", "to": "trk.detections"},
            {"from": "trk.tracks", "to": "rule.tracks"},
            {"from": "rule.events", "to": "sink.events"},
        ],
        "layout": {"src": [0, 0], "det": [200, 0]},
    }
