"""What a run produced, shown in the page: annotated video, events with pictures, counts over time, time per block.

Data preparation is in plain functions (tested without Streamlit); `show_results` only draws.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import altair as alt
import cv2
import pandas as pd
import streamlit as st

from workbench.apps.ui.labels import class_label, direction_name, event_type_name
from workbench.core.events import Event
from workbench.core.i18n import t
from workbench.jobs import runs as jobs

THUMB_SIDE = 96  # pixels, longest side of a thumbnail in the events table
MAX_THUMBS = 300  # pictures beyond this many events are left out (the zip has them all)
EVENT_COLUMNS = ("snapshot", "pts", "time", "type", "direction", "region", "track_id", "class_name", "value", "node")


@dataclass(frozen=True)
class ResultFiles:
    """Where a run's outputs are inside its output folder (None: the pipeline writes no such file)."""

    folder: Path
    video: Path | None
    events: Path | None


def result_files(folder: Path, summary: dict[str, Any] | None) -> ResultFiles:
    """Find the annotated video and events.jsonl from summary.json "outputs"; while running (or when the run was
    killed: its summary, written while running, has no outputs yet), look in the folder."""
    video = events = None
    if summary is not None and "outputs" in summary:
        for facts in (summary.get("outputs") or {}).values():
            name = facts.get("file")
            if video is None and isinstance(name, str) and name.lower().endswith(".mp4"):
                video = folder / name
            jsonl = [f for f in facts.get("files") or () if str(f).endswith(".jsonl")]
            if events is None and jsonl:
                events = folder / jsonl[0]
    else:
        video = next(iter(sorted(folder.glob("*.mp4"))), None)
        events = next(iter(sorted(folder.glob("*.jsonl"))), None)
    return ResultFiles(folder=folder, video=video, events=events)


def read_events(path: Path | None) -> list[Event]:
    """Every complete line of an events.jsonl (a run still writing may have half a last line)."""
    if path is None or not path.is_file():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(Event.from_dict(json.loads(line)))
        except (ValueError, TypeError):
            continue
    return events


def thumbnail_uri(path: Path, side: int = THUMB_SIDE) -> str | None:
    """A small JPEG of the picture as a data: URI (for st.column_config.ImageColumn), None if unreadable."""
    image = cv2.imread(str(path)) if path.is_file() else None
    if image is None:
        return None
    scale = side / max(image.shape[:2])
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii") if ok else None


def clock_text(iso_time: str) -> str:
    """`2026-11-24 10:15:02` from an ISO 8601 time (fractions and time zone left out); unparsable text as it is."""
    try:
        return datetime.fromisoformat(iso_time).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return iso_time


def events_table(events: list[Event], folder: Path, lang: str, max_thumbs: int = MAX_THUMBS) -> pd.DataFrame:
    """One row per event (columns EVENT_COLUMNS), in words of `lang`, with thumbnails of the first `max_thumbs`."""
    rows = []
    for i, ev in enumerate(events):
        thumb = thumbnail_uri(folder / ev.snapshot) if ev.snapshot and i < max_thumbs else None
        rows.append({"snapshot": thumb, "pts": ev.pts, "time": clock_text(ev.time),
                     "type": event_type_name(ev.type, lang), "direction": direction_name(ev.direction, lang),
                     "region": ev.region, "track_id": ev.track_id, "class_name": class_label(ev.class_name, lang),
                     "value": ev.value,
                     "node": ev.node})
    return pd.DataFrame(rows, columns=list(EVENT_COLUMNS))


def without_empty_pictures(table: pd.DataFrame) -> pd.DataFrame:
    """The events table without its picture column when no event has a picture (a pipeline without a snapshot
    sink): the browser would show "None" in every row."""
    return table if table["snapshot"].notna().any() else table.drop(columns=["snapshot"])


def series_name(ev: Event, lang: str, with_region: bool) -> str:
    """`line crossing in`, or `count_line line crossing in` when the run has several lines/zones."""
    parts = [ev.region if with_region else "", event_type_name(ev.type, lang), direction_name(ev.direction, lang)]
    return " ".join(p for p in parts if p)


def counts_over_time(events: list[Event], lang: str, end_s: float | None = None) -> pd.DataFrame:
    """Long table (pts, series, count): the running count of each event type/direction at each event's video time.

    Every series starts at 0 at time 0 and, with `end_s`, is carried on to the end of the video.
    """
    if not events:
        return pd.DataFrame(columns=["pts", "series", "count"])
    with_region = len({ev.region for ev in events}) > 1
    ordered = sorted(events, key=lambda ev: ev.pts)
    counts: dict[str, int] = {}
    rows = []
    for ev in ordered:
        name = series_name(ev, lang, with_region)
        if name not in counts:
            rows.append({"pts": 0.0, "series": name, "count": 0})
        counts[name] = counts.get(name, 0) + 1
        rows.append({"pts": float(ev.pts), "series": name, "count": counts[name]})
    last = max(end_s or 0.0, ordered[-1].pts)
    rows += [{"pts": float(last), "series": name, "count": n} for name, n in counts.items()]
    return pd.DataFrame(rows, columns=["pts", "series", "count"])


def block_times(summary: dict[str, Any] | None) -> pd.DataFrame:
    """(block, ms) per node from summary per_block_ms, slowest first."""
    per_block = (summary or {}).get("per_block_ms") or {}
    rows = sorted(per_block.items(), key=lambda item: item[1], reverse=True)
    return pd.DataFrame(rows, columns=["block", "ms"])


def video_end_s(summary: dict[str, Any] | None) -> float | None:
    """Video time of the last frame processed, from summary.json."""
    if not summary or summary.get("last_frame") is None or not summary.get("stream_fps"):
        return None
    return float(summary["last_frame"]) / float(summary["stream_fps"])


# -- drawing ---------------------------------------------------------------------------------------------------------
@st.cache_data(max_entries=32, show_spinner=False)
def _cached_events(path: str, mtime: float, folder: str, lang: str,
                   end_s: float | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(events table, counts over time); the key holds the file's mtime, so a growing file is read again."""
    events = read_events(Path(path))
    return events_table(events, Path(folder), lang), counts_over_time(events, lang, end_s)


def _events_data(files: ResultFiles, lang: str, end_s: float | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    if files.events is None or not files.events.is_file():
        return events_table([], files.folder, lang), counts_over_time([], lang)
    return _cached_events(str(files.events), files.events.stat().st_mtime, str(files.folder), lang, end_s)


def event_column_config(lang: str) -> dict[str, Any]:
    config: dict[str, Any] = {name: st.column_config.Column(t(f"app.run.col.{name}", lang)) for name in EVENT_COLUMNS}
    config["snapshot"] = st.column_config.ImageColumn(t("app.run.col.snapshot", lang), width="small")
    config["pts"] = st.column_config.NumberColumn(t("app.run.col.pts", lang), format="%.2f")
    return config


def _metrics(summary: dict[str, Any], lang: str) -> None:
    cols = st.columns(4)
    cols[0].metric(t("app.run.metric.frames", lang), summary.get("frames", 0))
    cols[1].metric(t("app.run.metric.fps", lang), summary.get("processing_fps", 0))
    cols[2].metric(t("app.run.metric.events", lang), summary.get("event_total", 0))
    cols[3].metric(t("app.run.metric.seconds", lang), summary.get("seconds", 0))


def show_results(status: jobs.RunStatus, lang: str) -> None:
    """Results of a run, finished or still going (then without the video, which is complete only at the end)."""
    folder = jobs.output_dir(status.id)
    summary = status.summary if status.finished else None
    files = result_files(folder, summary)
    if jobs.events_file(status.id).is_file():  # every rule's events, also when the pipeline has no events sink
        files = replace(files, events=jobs.events_file(status.id))
    if summary:
        _metrics(summary, lang)
    st.subheader(t("app.run.video", lang))
    if not status.finished:
        st.caption(t("app.run.video_pending", lang))
    elif files.video is not None and files.video.is_file():
        st.video(str(files.video))
    else:
        st.caption(t("app.run.no_video", lang))
    table, counts = _events_data(files, lang, video_end_s(summary))
    st.subheader(t("app.run.events", lang, count=len(table)))
    if table.empty:
        st.caption(t("app.run.no_events", lang))
    else:
        if len(table) > MAX_THUMBS:
            st.caption(t("app.run.events_truncated", lang, shown=MAX_THUMBS, count=len(table)))
        shown = without_empty_pictures(table)
        st.dataframe(shown, column_config=event_column_config(lang), hide_index=True,
                     row_height=64 if "snapshot" in shown else None)
        st.subheader(t("app.run.counts", lang))
        chart = alt.Chart(counts).mark_line(interpolate="step-after", point=True).encode(
            x=alt.X("pts:Q", title=t("app.run.counts_axis", lang)),
            y=alt.Y("count:Q", title=t("app.run.metric.events", lang)),
            color=alt.Color("series:N", title=t("app.run.col.type", lang)))
        st.altair_chart(chart)
    times = block_times(summary)
    if not times.empty:
        st.subheader(t("app.run.block_times", lang))
        bars = alt.Chart(times).mark_bar().encode(
            x=alt.X("ms:Q", title=t("app.run.col.ms", lang)),
            y=alt.Y("block:N", sort="-x", title=t("app.run.col.block", lang)))
        st.altair_chart(bars)
    if status.finished:
        st.download_button(t("app.run.download", lang), data=lambda: jobs.results_zip(status.id).read_bytes(),
                           file_name=f"{status.id}.zip", mime="application/zip", on_click="ignore",
                           key=f"download-{status.id}")
