from __future__ import annotations

import csv
import json

import pytest
from support import make_frame

from blocks.sinks.events_file import EventsFile, EventsFileConfig
from workbench.core.block import StreamContext
from workbench.core.errors import BlockError
from workbench.core.events import CSV_COLUMNS, Event


def ctx(out):
    return StreamContext(out_dir=out, source="test.mp4", fps=25.0, frame_size=(640, 360))


def event(frame: int, **kw) -> Event:
    base = dict(time=f"2026-11-23T12:00:{frame:02d}", pts=frame / 25, frame=frame, node="count", type="line_crossing",
                track_id=frame, class_name="car", region="东门", direction="in", bbox=(1.0, 2.0, 30.0, 40.0),
                trajectory=((5.0, 6.0), (7.0, 8.0)), extra={"备注": "测试"})
    base.update(kw)
    return Event(**base)


def test_rows_are_written_and_readable_while_running(tmp_path):
    block = EventsFile(EventsFileConfig(), "log")
    state = block.start(ctx(tmp_path))
    block.process(state, make_frame(0), {"events": (event(0), event(0, node="zone", type="zone_enter"))})
    # flushed per frame: another program (or a crash) sees what was produced so far
    assert len((tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()) == 2
    block.process(state, make_frame(1), {"events": ()})
    block.process(state, make_frame(2), {"events": (event(2),)})
    facts = block.finish(state)
    assert facts == {"files": ["events.jsonl", "events.csv"], "events": 3}

    lines = (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert "东门" in lines[0]  # Chinese kept readable, not \u-escaped
    assert [Event.from_dict(json.loads(line)) for line in lines] == [
        event(0), event(0, node="zone", type="zone_enter"), event(2)]

    raw = (tmp_path / "events.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8 Chinese text correctly
    with open(tmp_path / "events.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0].keys()) == list(CSV_COLUMNS)
    assert [r["frame"] for r in rows] == ["0", "0", "2"]
    assert rows[0]["region"] == "东门"
    assert json.loads(rows[0]["trajectory"]) == [[5.0, 6.0], [7.0, 8.0]]


def test_only_chosen_formats_and_name(tmp_path):
    block = EventsFile(EventsFileConfig(name="gate_events", formats=("csv",)), "log")
    state = block.start(ctx(tmp_path))
    facts = block.finish(state)
    assert facts == {"files": ["gate_events.csv"], "events": 0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gate_events.csv"]
    with open(tmp_path / "gate_events.csv", encoding="utf-8-sig") as f:
        assert f.readline().strip() == ",".join(CSV_COLUMNS)  # a valid file even without events


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="plain name"):
        EventsFileConfig(name="../events")
    with pytest.raises(ValueError, match="at least 1 item"):
        EventsFileConfig(formats=())
    with pytest.raises(ValueError, match="'jsonl' or 'csv'"):
        EventsFileConfig(formats=("xlsx",))


def test_unwritable_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(BlockError) as err:
        EventsFile(EventsFileConfig(), "log").start(ctx(blocker))
    p = err.value.problems[0]
    assert (p.code, p.node, p.field) == ("sink_unwritable", "log", "name")


def test_without_run_folder_nothing_is_written(tmp_path):
    block = EventsFile(EventsFileConfig(), "log")
    state = block.start(ctx(None))
    block.process(state, make_frame(0), {"events": (event(0),)})
    assert block.finish(state) == {}
