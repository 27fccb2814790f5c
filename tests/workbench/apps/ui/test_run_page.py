"""The Run page: renders in both languages, starts a run on the demo clip, shows progress and results, cancels."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from ui_support import as_user

from tests.workbench.apps.ui.page_support import open_page
from workbench.apps.ui.plain_text import plain_problem
from workbench.core.i18n import t
from workbench.features.synth import demo, generate, load_truth
from workbench.jobs import runs as jobs
from workbench.records.roles import Actor

PIPELINE = Path(__file__).resolve().parents[4] / "pipelines" / "vehicle_count_line.yaml"
END_S = 9.2  # stop here: well between two line crossings of the drawn demo clip (8.48 s and 9.96 s)
TIMEOUT_S = 180


def _page() -> None:
    from workbench.apps.ui.pages.run import run_page

    run_page()


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """One workbench home for the module, with the drawn demo clip (what make_demo_clip makes without opencv-doc;
    the motion pipeline counts it exactly); each test may run alone, in any order."""
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("home")
        mp.setenv("WORKBENCH_HOME", str(home))
        generate(demo.DRAWN_SCENARIO, demo.demo_clip().parent, seed=0)
        yield home


def _app(lang: str = "en", run_id: str | None = None) -> AppTest:
    return open_page(_page, lang, timeout=120, run=run_id)


def _captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def _poll(at: AppTest, run_id: str, done) -> AppTest:
    """Rerun the page (as the browser does every second) until `done(at)` holds."""
    deadline = time.monotonic() + TIMEOUT_S
    while not done(at):
        assert time.monotonic() < deadline, (jobs.run_status(run_id), _captions(at))
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception
    return at


def _choose_pipeline(at: AppTest) -> None:
    at.selectbox(key="run_pipeline_select").set_value(str(PIPELINE)).run()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_renders_in_both_languages(lang, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))  # nothing run yet
    at = _app(lang)
    assert not at.exception
    assert at.title[0].value == t("app.run.title", lang)
    assert t("app.run.no_runs", lang) in _captions(at)
    assert [o for o in at.radio(key="run_clip_kind").options] == [
        *(t(f"app.picker.{k}", lang) for k in ("demo", "library", "upload", "server")),
        t("app.run.clip_url", lang), t("app.run.clip_pipeline", lang)]


@pytest.mark.slow  # renders the real-pixel demo clip in a fresh home (cut-outs built, 475 frames): ~15-30 s
def test_the_demo_clip_is_made_from_the_page(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "fresh-home"))  # a new install: no demo clip yet
    at = _app()
    assert not demo.demo_clip().exists()
    assert at.button(key="run_start").disabled  # no video yet
    at.button(key="run_make_demo").click().run()
    assert not at.exception
    assert demo.demo_clip().is_file()
    assert t("app.run.demo_ready", "en", path=str(demo.demo_clip())) in _captions(at)
    assert not at.button(key="run_start").disabled


def test_a_viewer_pressing_start_is_refused_in_their_language_and_nothing_starts(home):
    at = open_page(_page, "zh", timeout=120, actor=Actor("zhao", "haidian", frozenset({"viewer"})))
    _choose_pipeline(at)
    runs_before = len(jobs.list_runs())
    at.button(key="run_start").click().run()
    assert not at.exception, at.exception
    assert "run" not in at.query_params and len(jobs.list_runs()) == runs_before
    (refusal,) = [e.value for e in at.error]
    assert "zhao" in refusal and t("permission.runs.start", "zh") in refusal and t("role.builder", "zh") in refusal


@pytest.mark.slow  # starts a worker process
def test_a_run_started_on_the_page_shows_progress_then_results(home):
    at = _app()
    _choose_pipeline(at)
    at.number_input(key=f"run_end::{PIPELINE}").set_value(END_S).run()
    at.button(key="run_start").click().run()
    assert not at.exception
    run_id = at.query_params["run"]
    assert jobs.run_dir(run_id).parent == home / "runs"
    assert at.subheader[1].value == t("app.run.opened", "en", id=run_id)

    _poll(at, run_id, lambda a: any(p.value > 0 for p in a.get("progress")) or jobs.run_status(run_id).finished)
    _poll(at, run_id, lambda a: jobs.run_status(run_id).finished)
    at.run()

    truth = load_truth(demo.demo_clip().with_suffix(".truth.json"))
    expected = [e for e in truth["events"] if e["type"] == "line_crossing" and e["time"] < END_S]
    summary = json.loads((jobs.output_dir(run_id) / "summary.json").read_text())
    assert summary["status"] == "done" and summary["event_total"] == len(expected) > 0
    state = t("app.run.state_line", "en", state=t("app.run.state.done", "en"), pipeline="vehicle-count-line",
              source="demo_s0.mp4")
    assert state in _captions(at)
    assert len(at.get("video")) == 1
    [table] = at.dataframe
    assert len(table.value) == len(expected)
    events_metric = next(m for m in at.metric if m.label == t("app.run.metric.events", "en"))
    assert events_metric.value == str(len(expected))
    assert len(at.get("download_button")) == 1

    # the run is listed, and a fresh session (a browser refresh) with ?run= in the URL reopens it, in Chinese too
    assert at.button(key=f"run_open::{run_id}")
    again = _app("zh", run_id)
    assert not again.exception
    assert t("app.run.state.done", "zh") in " ".join(_captions(again))
    assert len(again.get("video")) == 1


@pytest.mark.slow  # starts a worker process
def test_cancel_on_the_page_stops_the_run(home):
    at = _app()
    _choose_pipeline(at)
    at.button(key="run_start").click().run()
    run_id = at.query_params["run"]
    _poll(at, run_id, lambda a: any(p.value > 0 for p in a.get("progress")))
    at.button(key=f"run_cancel::{run_id}").click().run()
    assert not at.exception
    _poll(at, run_id, lambda a: jobs.run_status(run_id).finished)
    at.run()
    assert jobs.run_status(run_id).state == "cancelled"
    assert t("app.run.state.cancelled", "en") in " ".join(_captions(at))


def test_an_unknown_run_in_the_url_is_reported(home):
    at = _app("en", "20990101-000000-beef")
    assert not at.exception
    assert at.warning[0].value == t("app.run.unknown_run", "en", id="20990101-000000-beef")


def test_server_files_are_picked_from_the_footage_folders_not_typed(home, tmp_path, monkeypatch):
    """No path is typed: the page lists the video files of the folders the operator allows, nothing else."""
    archive = tmp_path / "archive"
    (archive / "gate").mkdir(parents=True)
    (archive / "gate" / "night.mp4").write_bytes(b"0")
    (archive / "notes.txt").write_text("secret", encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "fresh-home"))  # no demo clip, no uploads yet
    at = _app()
    at.radio(key="run_clip_kind").set_value("server").run()
    assert at.info[0].value == t("app.picker.no_folders", "en", env="WORKBENCH_FOOTAGE_DIRS")
    assert at.button(key="run_start").disabled and not at.text_input
    monkeypatch.setenv("WORKBENCH_FOOTAGE_DIRS", str(archive))
    at.run()
    assert at.selectbox(key="run_file").options == ["gate/night.mp4"]


@pytest.mark.slow  # starts a worker process
def test_what_stopped_a_run_is_shown_on_the_page(home, tmp_path, monkeypatch):
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("this is not a video", encoding="utf-8")
    at = _app()
    _choose_pipeline(at)
    monkeypatch.setenv("WORKBENCH_FOOTAGE_DIRS", str(tmp_path))
    at.radio(key="run_clip_kind").set_value("server").run()
    at.selectbox(key="run_root").set_value(tmp_path.resolve()).run()
    at.selectbox(key="run_file").set_value(not_video).run()
    at.button(key="run_start").click().run()
    run_id = at.query_params["run"]
    _poll(at, run_id, lambda a: jobs.run_status(run_id).finished)
    at.run()
    [problem] = jobs.run_status(run_id).problems
    assert problem.code == "source_not_video"
    assert plain_problem(problem, "en") in [e.value for e in at.error]  # "src.path: ...", escaped for Markdown
    assert t("app.run.state.error", "en") in " ".join(_captions(at))


def test_the_pipeline_chosen_on_the_build_page_is_preselected(home):
    at = as_user(AppTest.from_function(_page, default_timeout=120))
    at.session_state["lang"] = "en"
    at.session_state["run_pipeline_path"] = str(PIPELINE)
    at.run()
    assert not at.exception
    assert at.selectbox(key="run_pipeline_select").value == str(PIPELINE)
    assert at.selectbox(key="run_pipeline_select").options[0] != t(
        "app.run.pipeline_template", "en", title="vehicle-count-line", name="vehicle_count_line")  # not just the first
