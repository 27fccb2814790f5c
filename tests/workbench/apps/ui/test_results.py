"""Result views: the data behind the video, events table, counts chart and per-block chart (no Streamlit needed)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from workbench.apps.ui import labels, results
from workbench.core.events import Event
from workbench.core.i18n import t


def _event(pts: float, type_: str = "line_crossing", direction: str = "in", region: str = "count_line",
           snapshot: str = "") -> Event:
    return Event(time=f"2026-11-24T10:00:{pts:06.3f}", pts=pts, frame=int(pts * 25), node="count_line", type=type_,
                 track_id=int(pts * 10), class_name="vehicle", region=region, direction=direction, snapshot=snapshot)


def _write_events(path: Path, events: list[Event], tail: str = "") -> Path:
    path.write_text("".join(json.dumps(e.to_dict()) + "\n" for e in events) + tail, encoding="utf-8")
    return path


def test_outputs_are_found_from_the_summary_whatever_their_names(tmp_path):
    summary = {"outputs": {"cam": {"file": "street.mp4", "frames": 10}, "log": {"files": ["ev.csv", "ev.jsonl"]},
                           "snaps": {"folder": "snapshots", "snapshots": 2}}}
    files = results.result_files(tmp_path, summary)
    assert (files.video, files.events) == (tmp_path / "street.mp4", tmp_path / "ev.jsonl")


def test_a_pipeline_without_video_or_events_file_has_none(tmp_path):
    files = results.result_files(tmp_path, {"outputs": {"snaps": {"folder": "snapshots", "snapshots": 0}}})
    assert files.video is None and files.events is None


def test_while_running_the_events_file_is_found_in_the_folder(tmp_path):
    _write_events(tmp_path / "events.jsonl", [_event(1.0)])
    files = results.result_files(tmp_path, None)
    assert files.events == tmp_path / "events.jsonl"


def test_a_half_written_last_line_is_skipped(tmp_path):
    path = _write_events(tmp_path / "events.jsonl", [_event(1.0), _event(2.0)], tail='{"time": "2026-11')
    assert [e.pts for e in results.read_events(path)] == [1.0, 2.0]
    assert results.read_events(tmp_path / "missing.jsonl") == []


def test_thumbnails_are_small_jpeg_data_uris(tmp_path):
    picture = np.full((240, 400, 3), (0, 0, 255), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "snap.jpg"), picture)
    uri = results.thumbnail_uri(tmp_path / "snap.jpg")
    assert uri.startswith("data:image/jpeg;base64,")
    thumb = cv2.imdecode(np.frombuffer(base64.b64decode(uri.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
    assert max(thumb.shape[:2]) == results.THUMB_SIDE and thumb[40, 80, 2] > 200  # still red
    assert results.thumbnail_uri(tmp_path / "gone.jpg") is None


def test_events_table_speaks_the_users_language_and_shows_pictures(tmp_path):
    (tmp_path / "snapshots").mkdir()
    cv2.imwrite(str(tmp_path / "snapshots" / "a.jpg"), np.zeros((50, 80, 3), np.uint8))
    events = [_event(1.5, snapshot="snapshots/a.jpg"), _event(2.5, direction="out"), _event(3.5, snapshot="x.jpg")]
    table = results.events_table(events, tmp_path, "zh")
    assert list(table.columns) == list(results.EVENT_COLUMNS)
    assert len(table) == 3
    assert table["snapshot"][0].startswith("data:image/jpeg") and pd.isna(table["snapshot"][1])
    assert pd.isna(table["snapshot"][2])  # the picture is missing: no broken image
    crossing = "app.run.event_type.line_crossing"
    assert table["type"][0] == t(crossing, "zh") != t(crossing, "en")
    assert list(table["direction"]) == [t("app.run.direction.in", "zh"), t("app.run.direction.out", "zh"),
                                        t("app.run.direction.in", "zh")]
    assert results.events_table(events, tmp_path, "en", max_thumbs=0)["snapshot"].isna().all()
    assert list(table["class_name"]) == ["车辆"] * 3, "the class in words, not the detector's 'vehicle'"
    assert "snapshot" in results.without_empty_pictures(table)
    no_pictures = results.events_table(events, tmp_path, "zh", max_thumbs=0)
    assert "snapshot" not in results.without_empty_pictures(no_pictures), "no column of 'None'"
    assert labels.class_label("forklift", "zh") == "forklift", "a model's own class shows as it is"


def test_plugin_event_types_show_as_they_are():
    assert labels.event_type_name("camera_tamper", "zh") == "camera_tamper"


def test_counts_over_time_run_up_per_type_and_direction():
    events = [_event(4.0, direction="out"), _event(1.0), _event(2.0), _event(3.0, type_="zone_enter", direction="")]
    counts = results.counts_over_time(events, "en", end_s=10.0)
    name_in = f"{t('app.run.event_type.line_crossing', 'en')} {t('app.run.direction.in', 'en')}"
    rising = counts[counts.series == name_in]
    assert list(zip(rising.pts, rising["count"], strict=True)) == [(0.0, 0), (1.0, 1), (2.0, 2), (10.0, 2)]
    assert set(counts.series) == {name_in, f"{t('app.run.event_type.line_crossing', 'en')} "
                                  f"{t('app.run.direction.out', 'en')}", t("app.run.event_type.zone_enter", "en")}
    assert counts.groupby("series")["count"].max().sum() == len(events)


def test_counts_name_the_region_when_there_are_several():
    events = [_event(1.0, region="north"), _event(2.0, region="south")]
    assert {s.split()[0] for s in results.counts_over_time(events, "en").series} == {"north", "south"}
    assert results.counts_over_time([], "en").empty


def test_block_times_slowest_first():
    table = results.block_times({"per_block_ms": {"src": 1.0, "motion": 4.5, "tracker": 2.0}})
    assert list(table.block) == ["motion", "tracker", "src"] and list(table.ms) == [4.5, 2.0, 1.0]
    assert results.block_times(None).empty


def test_video_end_from_summary():
    assert results.video_end_s({"last_frame": 499, "stream_fps": 25.0}) == 19.96
    assert results.video_end_s({"last_frame": None, "stream_fps": 25.0}) is None


def test_clock_times_are_shown_to_the_second():
    assert results.clock_text("2026-11-24T00:24:17.988779+00:00") == "2026-11-24 00:24:17"
    assert results.clock_text("not a time") == "not a time"
