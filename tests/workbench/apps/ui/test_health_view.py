"""The health table: translated state badges, unknown states kept, stale cameras flagged; the Run page shows it for a
run on a live stream."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from stream_support import counting_pipeline
from streamlit.testing.v1 import AppTest
from ui_support import as_user

from workbench.apps.ui.health_view import TONES, UNKNOWN, health_rows, outage_rows, state_text, tone
from workbench.core.i18n import t
from workbench.jobs import runs as jobs
from workbench.media.health import Outage, StreamHealth


def _col(key: str, lang: str = "en") -> str:
    return t(f"app.health.col.{key}", lang)


def test_rows_translate_states_keep_unknown_ones_and_flag_stale_cameras():
    health = [StreamHealth(camera="a", state="connected", connected=True, fps_in=12.34, fps_out=11.0, lag_s=0.123,
                           frames_out=50, dropped=3, reconnects=1),
              StreamHealth(camera="b", state="warming_up", last_error="cannot open rtsp://u:***@h/s"),
              StreamHealth(camera="c", state="connected")]
    rows = {r[_col("camera", "zh")]: r for r in health_rows(health, "zh", not_reporting=["c"], events={"a": 4})}
    assert rows["a"][_col("state", "zh")] == state_text("connected", "zh") == t("app.health.state.connected", "zh")
    assert (rows["a"][_col("fps_in", "zh")], rows["a"][_col("lag", "zh")]) == (12.3, 0.12)
    assert (rows["a"][_col("dropped", "zh")], rows["a"][_col("events", "zh")], rows["b"][_col("events", "zh")]) == (
        3, 4, 0)
    assert rows["b"][_col("state", "zh")] == "warming_up"  # a state this version does not know: its raw name ...
    assert tone("warming_up") == UNKNOWN and tone("connected") != tone("reconnecting") != tone("gave_up")  # ... neutral
    assert tone("connected", stale=True) == TONES["not_reporting"]
    assert rows["b"][_col("last_error", "zh")] == "cannot open rtsp://u:***@h/s"
    assert t("app.health.not_reporting", "zh", state=state_text("connected", "zh")) in rows["c"][_col("state", "zh")]
    assert _col("events") not in health_rows(health, "en")[0]  # no event counts given: no column


def test_an_outage_still_open_says_so():
    h = StreamHealth(camera="a", outages=[Outage(start="2026-01-01T10:00:00.000+00:00", end=None)])
    [row] = outage_rows(h, "en")
    assert row[t("app.health.col.outage_end", "en")] == t("app.health.still_down", "en")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _run_page() -> None:
    from workbench.apps.ui.pages.run import run_page

    run_page()


@pytest.mark.slow  # starts a worker process
def test_the_run_page_shows_the_health_of_a_run_on_a_live_stream(home, tmp_path):
    from workbench.features.synth import generate

    clip = generate("traffic", tmp_path / "clip").video
    spec = counting_pipeline({"type": "sources/stream@v1", "config": {"url": str(clip), "camera": "gate"}})
    run_id = jobs.start_run(spec, jobs.RunRequest(label="stream"))
    try:
        at = as_user(AppTest.from_function(_run_page, default_timeout=60))
        at.session_state["lang"] = "en"
        at.query_params["run"] = run_id
        deadline = time.monotonic() + 60
        while True:
            at.run()
            assert not at.exception, at.exception
            tables = [d.value for d in at.dataframe if _col("camera") in d.value.columns]
            if tables and tables[0][_col("state")].iloc[0] == state_text("connected", "en"):
                break
            assert time.monotonic() < deadline, jobs.run_status(run_id)
            time.sleep(0.5)
        assert tables[0][_col("camera")].tolist() == ["gate"] and tables[0][_col("fps_in")].iloc[0] > 0
    finally:
        jobs.cancel_run(run_id)
        deadline = time.monotonic() + 30
        while not jobs.run_status(run_id).finished and time.monotonic() < deadline:
            time.sleep(0.2)
    assert jobs.run_status(run_id).state == "cancelled"
