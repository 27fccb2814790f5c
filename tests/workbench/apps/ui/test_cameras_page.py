"""The Cameras page: start a camera group from the form, watch its health table, stop it; Chinese labels; bad rows."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from stream_support import counting_pipeline
from streamlit.testing.v1 import AppTest
from ui_support import as_user

from workbench.apps.ui.health_view import state_text
from workbench.core.i18n import t
from workbench.features.streams import serve_jobs

TIMEOUT_S = 60


def _page() -> None:
    from workbench.apps.ui.pages.cameras import cameras_page

    cameras_page()


@pytest.fixture(scope="module")
def traffic_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench.features.synth import generate

    return generate("traffic", tmp_path_factory.mktemp("clip")).video


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    (home / "pipelines").mkdir(parents=True)
    spec = counting_pipeline({"type": "sources/video_file@v1", "config": {"path": "replaced"}})
    (home / "pipelines" / "count.yaml").write_text(spec.to_yaml(), encoding="utf-8")
    return home


def _app(home: Path, lang: str = "en", rows: list[dict] | None = None) -> AppTest:
    at = as_user(AppTest.from_function(_page, default_timeout=60))
    at.session_state["lang"] = lang
    at.run()
    at.selectbox(key="cameras_pipeline").set_value(str(home / "pipelines" / "count.yaml")).run()
    for n, row in enumerate(rows or []):  # typed row by row, the way a user does
        if n:
            at.button(key="cameras_add").click().run()
        at.text_input(key=f"cameras_id::{n}").input(row["id"])
        at.text_input(key=f"cameras_url::{n}").input(row["url"]).run()
    assert not at.exception, at.exception
    return at


def _health(at: AppTest) -> dict[str, dict]:
    """The health table's rows by camera (the first dataframe of the open group)."""
    col = t("app.health.col.camera", "en")
    [table] = [d for d in at.dataframe if col in d.value.columns]
    return {row[col]: row for row in table.value.to_dict("records")}


def _poll(at: AppTest, done) -> AppTest:
    deadline = time.monotonic() + TIMEOUT_S
    while not done(at):
        assert time.monotonic() < deadline, [c.value for c in at.caption]
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception
    return at


def test_the_page_renders_in_chinese(home):
    at = _app(home, "zh")
    assert at.title[0].value == t("app.cameras.title", "zh")
    assert at.button(key="cameras_start").label == t("app.cameras.start_button", "zh")
    assert t("app.cameras.no_serves", "zh") in [c.value for c in at.caption]
    assert at.text_input(key="cameras_id::0").label == t("app.cameras.col.id", "zh")
    assert at.button(key="cameras_add").label == t("app.cameras.add_row", "zh")


def test_rows_are_added_and_removed_without_losing_what_was_typed(home):
    at = _app(home, rows=[{"id": "a", "url": "rtsp://10.0.0.1/a"}, {"id": "b", "url": "rtsp://10.0.0.1/b"},
                          {"id": "c", "url": "rtsp://10.0.0.1/c"}])
    at.button(key="cameras_remove::1").click().run()
    assert [i.value for i in at.text_input if i.key.startswith("cameras_id::")] == ["a", "c"]
    assert [i.value for i in at.text_input if i.key.startswith("cameras_url::")] == ["rtsp://10.0.0.1/a",
                                                                                     "rtsp://10.0.0.1/c"]


def test_start_with_no_camera_typed_says_what_to_type(home):
    at = _app(home)
    at.button(key="cameras_start").click().run()
    assert [e.value for e in at.error] == [t("app.cameras.no_rows", "en")]
    assert serve_jobs.list_serves() == []


@pytest.mark.slow  # starts a worker process
def test_a_camera_group_started_on_the_page_shows_health_and_stops(home, traffic_clip):
    at = _app(home, rows=[{"id": "gate-1", "url": str(traffic_clip)}])
    at.button(key="cameras_start").click().run()
    assert not at.exception, at.exception
    serve_id = at.query_params["serve"]
    assert serve_jobs.serve_dir(serve_id).parent == home / "serve"
    try:
        connected, state, fps_in = state_text("connected", "en"), t("app.health.col.state", "en"), t(
            "app.health.col.fps_in", "en")

        def live(a: AppTest) -> bool:  # fps needs two frames in the rate window: the first table may show 0 fps
            row = _health(a).get("gate-1", {})
            return row.get(state) == connected and row.get(fps_in, 0) > 0

        _poll(at, live)
        assert at.button(key=f"cameras_open::{serve_id}")  # listed
        at.button(key=f"cameras_stop::{serve_id}").click().run()
        assert not at.exception, at.exception
        assert serve_jobs.serve_status(serve_id).state == "stopped"  # the button waits until files are closed
    finally:
        serve_jobs.stop_serve(serve_id)
    assert _health(at)["gate-1"][t("app.health.col.state", "en")] == state_text("stopped", "en")
    assert any(t("app.cameras.state.stopped", "en") in c.value for c in at.caption)
    assert not [b for b in at.button if b.key == f"cameras_stop::{serve_id}"]  # nothing left to stop
    zh = as_user(AppTest.from_function(_page, default_timeout=60))
    zh.session_state["lang"] = "zh"
    zh.query_params["serve"] = serve_id
    zh.run()
    assert not zh.exception
    assert [d for d in zh.dataframe if t("app.health.col.camera", "zh") in d.value.columns]
    assert any(t("app.cameras.state.stopped", "zh") in c.value for c in zh.caption)


@pytest.mark.parametrize(("rows", "where"), [
    ([{"id": "cam", "url": "rtsp://10.0.0.1/a"}, {"id": "cam", "url": "rtsp://10.0.0.1/b"}], "cameras"),
    ([{"id": "gate 1", "url": "rtsp://10.0.0.1/a"}], "cameras.0.id"),
])
def test_invalid_camera_rows_show_the_problem_and_start_nothing(home, rows, where):
    at = _app(home, rows=rows)
    at.button(key="cameras_start").click().run()
    assert not at.exception, at.exception
    assert "serve" not in at.query_params
    assert [e.value.split(":")[0] for e in at.error] == [where]
    assert serve_jobs.list_serves() == []
