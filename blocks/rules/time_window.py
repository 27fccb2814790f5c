"""Keep only events that happen inside (or outside) a daily clock-time window, optionally on some weekdays."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from workbench.core.block import Block, BlockConfig
from workbench.core.events import Event
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class TimeWindowConfig(BlockConfig):
    start: str = Field("22:00", pattern=_HHMM, description="Window start, clock time HH:MM (included)")
    end: str = Field("06:00", pattern=_HHMM, description=(
        "Window end, clock time HH:MM (not included). Earlier than start = the window runs over midnight"))
    weekdays: tuple[Weekday, ...] = Field((), description=(
        "Only on these days (mon..sun); empty = every day. A window over midnight belongs to the day it starts: "
        "fri 22:00-06:00 includes Saturday 02:00"))
    mode: Literal["inside", "outside"] = Field("inside", description=(
        "inside = keep events in the window (e.g. night-time parking); outside = keep the others"))

    @model_validator(mode="after")
    def _not_empty(self) -> TimeWindowConfig:
        if self.start == self.end:
            raise ValueError("start and end are the same time: the window would be empty; give two different times")
        return self


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


class TimeWindow(Block[TimeWindowConfig]):
    """Pass on only the events whose clock time falls inside (or outside) the daily window [start, end)."""

    type_id = "rules/time_window@v1"
    Config = TimeWindowConfig
    inputs = (Port("events", Kind.EVENTS, many=True, description="Events from one or more rules"),)
    outputs = (Port("events", Kind.EVENTS, description="The events that pass the time window"),)

    def in_window(self, when: datetime) -> bool:
        """True when the clock time `when` (its own local clock, as written in the event) is in the window."""
        cfg = self.config
        start, end = _minutes(cfg.start), _minutes(cfg.end)
        minute = when.hour * 60 + when.minute + when.second / 60 + when.microsecond / 60e6
        weekday = when.weekday()
        if start < end:
            hit = start <= minute < end
        elif minute >= start:
            hit = True
        else:  # after midnight in a window that started the day before
            hit, weekday = minute < end, (weekday - 1) % 7
        return hit and (not cfg.weekdays or WEEKDAYS[weekday] in cfg.weekdays)

    def process(self, state: None, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        events: tuple[Event, ...] = tuple(inputs.get("events") or ())
        want_inside = self.config.mode == "inside"
        return {"events": tuple(e for e in events if self.in_window(datetime.fromisoformat(e.time)) == want_inside)}
