"""Save a JPEG crop of each event's object and attach its path to the event."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from pydantic import Field

from blocks.sinks._common import PlainName, ensure_writable, safe_part
from workbench.core.block import Block, BlockConfig, StreamContext
from workbench.core.errors import BlockError
from workbench.core.events import Event
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port
from workbench.core.write_paths import writable_path


class SnapshotsConfig(BlockConfig):
    folder: PlainName = Field("snapshots", min_length=1, max_length=100,
                        description="Folder inside the run folder that receives the JPEG crops")
    padding: float = Field(0.15, ge=0.0, le=2.0,
                           description="Margin added around the box, as a fraction of its width/height (0.15 = 15%)")
    max_size: int = Field(640, ge=32, le=4096, description="Longest side of a saved crop in pixels (larger are shrunk)")
    jpeg_quality: int = Field(90, ge=10, le=100, description="JPEG quality (10-100; higher = sharper, bigger files)")


@dataclass
class _State:
    folder: Path | None
    count: int = 0


def crop_box(size: tuple[int, int], bbox: tuple[float, float, float, float],
             padding: float) -> tuple[int, int, int, int] | None:
    """Pixel box (x1, y1, x2, y2) of `bbox` grown by `padding`, clamped to an image of `size` (w, h); None if empty."""
    w, h = size
    x1, y1, x2, y2 = bbox
    pad_x, pad_y = (x2 - x1) * padding, (y2 - y1) * padding
    left, top = max(0, int(np.floor(x1 - pad_x))), max(0, int(np.floor(y1 - pad_y)))
    right, bottom = min(w, int(np.ceil(x2 + pad_x))), min(h, int(np.ceil(y2 + pad_y)))
    if right - left < 1 or bottom - top < 1:
        return None
    return left, top, right, bottom


class Snapshots(Block[SnapshotsConfig]):
    """Save a JPEG crop around each event's box into snapshots/ and return the events with `snapshot` set."""

    type_id = "sinks/snapshots@v1"
    Config = SnapshotsConfig
    inputs = (
        Port("image", Kind.IMAGE, description="The video frame to cut the crops from"),
        Port("events", Kind.EVENTS, many=True, description="Events from one or more rules"),
    )
    outputs = (Port("events", Kind.EVENTS, description="The same events, with the snapshot path filled in"),)

    def start(self, ctx: StreamContext) -> _State:
        if ctx.out_dir is None:
            return _State(folder=None)
        folder = writable_path(self.config.folder, ctx.out_dir, self.node_id, "folder")  # a symlink out is refused
        return _State(folder=ensure_writable(folder, self.node_id, "folder"))

    def process(self, state: _State, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        events: tuple[Event, ...] = inputs.get("events", ())
        if not events or state.folder is None:
            return {"events": tuple(events)}
        image_frame: Frame = inputs.get("image", frame)
        return {"events": tuple(self._snap(state, image_frame, ev) for ev in events)}

    def _snap(self, state: _State, frame: Frame, event: Event) -> Event:
        if event.bbox is None:
            return event
        box = crop_box(frame.size, event.bbox, self.config.padding)
        if box is None:
            return event
        left, top, right, bottom = box
        crop = frame.image[top:bottom, left:right]
        longest = max(crop.shape[:2])
        if longest > self.config.max_size:
            scale = self.config.max_size / longest
            crop = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))),
                              interpolation=cv2.INTER_AREA)
        track = "x" if event.track_id is None else str(event.track_id)
        stem = f"{event.frame:06d}_{safe_part(event.node)}_{safe_part(event.type)}_{track}"
        path = state.folder / f"{stem}.jpg"
        n = 1
        # two events of one node, type and track in the same frame (e.g. two lines); lexists: a name taken by anything,
        # even a dangling symlink (imwrite would follow it out of the folder), is skipped
        while os.path.lexists(path):
            n += 1
            path = state.folder / f"{stem}_{n}.jpg"
        if not cv2.imwrite(str(path), crop, [cv2.IMWRITE_JPEG_QUALITY, self.config.jpeg_quality]):
            raise BlockError("sink_unwritable", self.node_id, "folder", path=str(path), detail="JPEG not written")
        state.count += 1
        return dataclasses.replace(event, snapshot=f"{self.config.folder}/{path.name}")

    def finish(self, state: _State) -> dict[str, Any]:
        if state.folder is None:
            return {}
        return {"folder": self.config.folder, "snapshots": state.count}
