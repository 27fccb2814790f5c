from datetime import datetime

import pytest
from pydantic import ValidationError
from support import make_frame

from blocks.rules.time_window import TimeWindow
from workbench.core.events import Event

# 2026-11-20 is a Friday.
FRI = "2026-11-20"
SAT = "2026-11-21"


def event(when: str, **fields) -> Event:
    return Event(time=when, pts=0.0, frame=0, node="rule", type="stopped", **fields)


def keep(block: TimeWindow, times: list[str]) -> list[str]:
    events = tuple(event(t) for t in times)
    out = block.process(None, make_frame(0), {"events": events})["events"]
    assert isinstance(out, tuple)
    return [e.time for e in out]


def window(**settings) -> TimeWindow:
    return TimeWindow(TimeWindow.Config(**settings), "night")


def test_a_window_over_midnight():
    block = window(start="22:00", end="06:00")
    times = [f"{FRI}T21:59:59", f"{FRI}T22:00:00", f"{FRI}T23:30:00", f"{SAT}T02:00:00", f"{SAT}T05:59:59",
             f"{SAT}T06:00:00", f"{SAT}T12:00:00"]
    assert keep(block, times) == times[1:5]


def test_outside_mode_keeps_the_rest():
    times = [f"{FRI}T07:59:00", f"{FRI}T08:00:00", f"{FRI}T17:59:00", f"{FRI}T18:00:00"]
    assert keep(window(start="08:00", end="18:00"), times) == times[1:3]
    assert keep(window(start="08:00", end="18:00", mode="outside"), times) == [times[0], times[3]]


def test_weekdays_belong_to_the_night_they_start():
    block = window(start="22:00", end="06:00", weekdays=["fri"])
    times = [f"{FRI}T02:00:00", f"{FRI}T23:00:00", f"{SAT}T02:00:00", f"{SAT}T23:00:00"]
    assert keep(block, times) == [f"{FRI}T23:00:00", f"{SAT}T02:00:00"]


def test_time_zones_and_fractions_use_the_clock_as_written():
    block = window(start="22:00", end="06:00")
    assert keep(block, ["2026-11-20T23:15:00.120000+08:00", "2026-11-20T12:00:00.5+00:00"]) == [
        "2026-11-20T23:15:00.120000+08:00"]


def test_events_pass_unchanged_and_inputs_are_not_touched():
    block = window(start="00:00", end="23:59")
    inputs = (event(f"{FRI}T10:00:00", track_id=3, value=1.5), event(f"{FRI}T11:00:00", region="gate"))
    out = block.process(None, make_frame(0), {"events": inputs})["events"]
    assert out == inputs and out is not inputs
    assert block.process(None, make_frame(0), {"events": ()})["events"] == ()


def test_rule_events_stamped_from_frames_are_understood():
    frame = make_frame(0, start=datetime(2026, 11, 20, 23, 0, 0))
    e = event(frame.wall_time.isoformat())
    assert keep(window(start="22:00", end="06:00"), [e.time]) == [e.time]


@pytest.mark.parametrize("bad", [{"start": "25:00"}, {"end": "7:00"}, {"start": "10:00", "end": "10:00"},
                                 {"weekdays": ["friday"]}])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValidationError):
        TimeWindow.Config(**bad)
