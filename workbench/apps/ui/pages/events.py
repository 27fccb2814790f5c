"""The Events page: what every camera, run and batch saw, from the one event store — filter by days, camera, site,
rule and class; events per hour; the newest events with their snapshot; CSV export of every match. Thin: queries in
workbench.records.event_store and workbench.features.events.browse (filters are bound values, never SQL)."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from pathlib import Path

import streamlit as st

from workbench.apps.ui.common import show_problems, tr
from workbench.apps.ui.session import require_here
from workbench.core.errors import WorkbenchError
from workbench.features.events.browse import filter_choices, plain, write_csv
from workbench.records.database import open_database
from workbench.records.event_store import EventQuery, count_events, counts_by_hour, find_events, to_utc
from workbench.records.roles import Permission

SHOWN = 500  # newest events in the table; the export has every match
SNAPSHOT_TYPES = (".jpg", ".jpeg", ".png")
FILTERS = (("camera", "app.events.camera"), ("site", "app.events.site"), ("node", "app.events.rule"),
           ("class_name", "app.events.class"))


def events_page() -> None:
    st.title(tr("app.events.title"))
    st.caption(tr("app.events.intro"))
    try:
        require_here(Permission.VIEW)
        _browse()
    except WorkbenchError as err:
        show_problems(err.problems, where=False)


def _day_start(day: date) -> datetime:
    return to_utc(datetime.combine(day, time()))  # local midnight, stored times are UTC


def _browse() -> None:
    today = date.today()
    days = st.date_input(tr("app.events.days"), value=(today, today), key="events_days", format="YYYY-MM-DD")
    first, last = (days[0], days[-1]) if isinstance(days, tuple) and days else (today, today)
    since, until = _day_start(first), _day_start(last + timedelta(days=1))
    engine = open_database()
    choices = filter_choices(since, until, engine)
    picked: dict[str, str | None] = {}
    every = tr("app.events.all")  # bound now: a label function may be called outside this run
    for column, (name, label) in zip(st.columns(len(FILTERS)), FILTERS, strict=True):
        options = ["", *choices[name]]
        picked[name] = column.selectbox(tr(label), options, key=f"events_{name}",
                                        format_func=lambda v: v or every) or None
    query = EventQuery(since=since, until=until, **picked)
    total = count_events(engine, query)
    st.markdown(f"**{tr('app.events.count', count=total)}**")
    if not total:
        st.info(tr("app.events.none"))
        return
    hours = counts_by_hour(engine, query)
    st.bar_chart({tr("app.events.per_hour"): {hour: n for hour, n in hours}}, x_label=tr("app.events.hour_utc"))
    newest = [plain(row) for row in find_events(engine, query, limit=SHOWN, newest_first=True)]
    _table(newest)
    _snapshot(newest, "|".join(str(v) for v in (first, last, *picked.values())))
    st.download_button(tr("app.events.export", count=total), lambda: _csv(query),  # written when clicked
                       file_name=f"events-{first}-{last}.csv", mime="text/csv", key="events_export")


def _csv(query: EventQuery) -> bytes:
    buffer = io.StringIO()
    write_csv(buffer, query)
    return buffer.getvalue().encode("utf-8-sig")


def _table(rows: list[dict]) -> None:
    st.caption(tr("app.events.shown", count=len(rows)))
    columns = (("time", "app.events.col.time"), ("camera", "app.events.camera"), ("site", "app.events.site"),
               ("node", "app.events.rule"), ("type", "app.events.col.type"), ("class_name", "app.events.class"),
               ("track_id", "app.events.col.track"), ("direction", "app.events.col.direction"),
               ("pipeline", "app.events.col.pipeline"))
    st.dataframe([{tr(label): _clock(row[key]) if key == "time" else row[key] for key, label in columns}
                  for row in rows], hide_index=True)


def _clock(local_iso: str) -> str:
    """'2026-12-08T09:09:40+08:00' -> '2026-12-08 09:09:40' (the page says times are local)."""
    return local_iso[:19].replace("T", " ")


def _snapshot(rows: list[dict], filters: str) -> None:
    """The snapshot of one of the listed events (the choice starts anew when the filters change)."""
    with_pictures = [i for i, row in enumerate(rows) if row["snapshot"]]
    if not with_pictures:
        return
    index = st.selectbox(tr("app.events.snapshot_of"), with_pictures, key=f"events_snapshot::{filters}",
                         format_func=lambda i: f"{_clock(rows[i]['time'])} · {rows[i]['camera']} · {rows[i]['node']} · "
                                               f"{rows[i]['class_name']} #{rows[i]['track_id']}")
    path = Path(rows[index]["snapshot"])
    if path.suffix.lower() in SNAPSHOT_TYPES and path.is_file():
        st.image(str(path), width=480)
    else:
        st.warning(tr("app.events.snapshot_missing", path=str(path)))
