"""The Events page (AppTest): what the store holds for the chosen days, narrowed by camera / rule / class, counted
per hour, the newest listed with a snapshot; text that looks like SQL or a formula is only data."""

from __future__ import annotations

import io
from datetime import datetime

import cv2
import numpy as np
import pytest
from event_store_support import make_events
from streamlit.testing.v1 import AppTest
from ui_support import signed_in

from workbench.core.i18n import t
from workbench.features.events.browse import write_csv
from workbench.records.database import open_database
from workbench.records.event_store import EventQuery, EventSource, insert_rows, rows_of

TODAY_8AM = datetime.now().replace(hour=8, minute=0, second=0, microsecond=0)
SQL_LIKE = "gate'; DROP TABLE events; --"


@pytest.fixture
def stored(tmp_path, monkeypatch):
    """40 crossings today on gate-1 (snapshots on disk) and 10 on a camera named like SQL / a formula."""
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    run = tmp_path / "run"
    (run / "snapshots").mkdir(parents=True)
    for event in make_events(40, TODAY_8AM):
        cv2.imwrite(str(run / event.snapshot), np.full((40, 60, 3), 128, np.uint8))
    engine = open_database()
    insert_rows(engine, rows_of(EventSource("run:a", camera="gate-1", site="east-site", pipeline="count",
                                            folder=str(run)), [e.to_dict() for e in make_events(40, TODAY_8AM)]))
    insert_rows(engine, rows_of(EventSource("run:b", camera=SQL_LIKE, site="=cmd|' /C calc'!A0", pipeline="count"),
                                [e.to_dict() for e in make_events(10, TODAY_8AM)]))
    return run


def _page(lang: str = "zh") -> AppTest:
    def page() -> None:
        from workbench.apps.ui.pages import all_pages
        from workbench.apps.ui.pages.events import events_page

        all_pages()
        events_page()

    at = signed_in(AppTest.from_function(page, default_timeout=60), "zhao", ("viewer",))
    at.session_state["lang"] = lang
    return at.run()


def test_the_page_counts_filters_and_shows_a_snapshot(stored):
    at = _page()
    assert not at.exception, at.exception
    assert f"**{t('app.events.count', 'zh', count=50)}**" in [m.value for m in at.markdown]
    assert at.selectbox(key="events_camera").options == ["（全部）", SQL_LIKE, "gate-1"]
    at.selectbox(key="events_camera").set_value("gate-1").run()
    at.selectbox(key="events_class_name").set_value("car").run()
    assert f"**{t('app.events.count', 'zh', count=10)}**" in [m.value for m in at.markdown]
    (table,) = [d.value for d in at.dataframe]
    assert len(table) == 10 and set(table[t("app.events.class", "zh")]) == {"car"}
    assert "Image" in [type(e).__name__ for e in at.main] and not at.warning  # the newest event's snapshot


def test_sql_looking_names_are_only_values(stored):
    at = _page("en")
    at.selectbox(key="events_camera").set_value(SQL_LIKE).run()
    assert not at.exception, at.exception
    assert f"**{t('app.events.count', 'en', count=10)}**" in [m.value for m in at.markdown]
    (table,) = [d.value for d in at.dataframe]
    assert set(table["Camera"]) == {SQL_LIKE} and len(table) == 10
    assert "no longer there" in at.warning[0].value  # its run left no folder to find the picture in


def test_an_export_quotes_what_a_spreadsheet_would_run(stored):
    out = io.StringIO()
    assert write_csv(out, EventQuery(camera=SQL_LIKE)) == 10
    (row,) = [line for line in out.getvalue().splitlines()[1:2]]
    assert "'=cmd|" in row


def test_days_without_events_say_where_events_come_from(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    at = _page("en")
    assert [i.value for i in at.info] == [t("app.events.none", "en")]
