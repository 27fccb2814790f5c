"""Settings and arithmetic shared by every source: which frames to keep (stride, start, end) and the clock time."""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import Field, ValidationInfo, field_validator

from workbench.core.block import BlockConfig

_EPS = 1e-9  # so that start=2.0 at 25 fps is frame 50, not 51 after float rounding


class WindowConfig(BlockConfig):
    """The part of a source's settings that picks frames and dates them; `end` must be after `start`."""

    stride: int = Field(1, ge=1, le=10_000, description="Keep every Nth frame (1 = every frame, 5 = one in five)")
    start: float = Field(0.0, ge=0.0, description="Begin at this many seconds into the video")
    end: float | None = Field(
        None, gt=0.0, description="Stop at this many seconds into the video (empty = play to the end)")
    start_time: datetime | None = Field(
        None,
        description="Clock time of the first frame of the recording, used to stamp events "
        "(empty = the file's modification time; now for live streams)",
    )

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: float | None, info: ValidationInfo) -> float | None:
        start = info.data.get("start")
        if end is not None and start is not None and end <= start:
            raise ValueError(f"end ({end} s) must be later than start ({start} s)")
        return end


def first_index(cfg: WindowConfig, fps: float) -> int:
    """Index of the first frame at or after `start`."""
    return max(0, math.ceil(cfg.start * fps - _EPS))


def end_index(cfg: WindowConfig, fps: float) -> int | None:
    """Index of the first frame at or after `end` (exclusive bound), or None when there is no end."""
    return None if cfg.end is None else math.ceil(cfg.end * fps - _EPS)


def stop_index(cfg: WindowConfig, fps: float, total: int | None) -> int | None:
    """Exclusive index where reading stops: the earlier of `end` and the number of frames (None = unbounded)."""
    bounds = [b for b in (end_index(cfg, fps), total) if b is not None]
    return min(bounds) if bounds else None


def window_count(cfg: WindowConfig, fps: float, total: int | None) -> int | None:
    """How many frames the window yields from a source of `total` frames (None if neither end nor total is known)."""
    stop = stop_index(cfg, fps, total)
    return None if stop is None else len(range(first_index(cfg, fps), stop, cfg.stride))


def kept(cfg: WindowConfig, fps: float, index: int) -> bool:
    """True when frame `index` is one the stride keeps (counted from the first frame of the window)."""
    first = first_index(cfg, fps)
    return index >= first and (index - first) % cfg.stride == 0
