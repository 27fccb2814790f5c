"""The Evaluate page: replay the demo pipeline on the demo clip and score it, score a finished run, enter true events
in the table, and say clearly when the truth or the dataset is missing."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from ui_support import as_user

from workbench.apps.ui import evaluate_view as view
from workbench.apps.ui.plain_text import plain_problem
from workbench.core.errors import Problem
from workbench.core.i18n import t
from workbench.engine.spec import load_spec
from workbench.features.evaluation.truth import load_truth_file
from workbench.features.synth import demo
from workbench.jobs import runs as jobs

# the motion pipeline that counts the drawn demo street (demo_home) exactly
PIPELINE = Path(__file__).resolve().parents[4] / "pipelines" / "vehicle_count_line.yaml"
TIMEOUT_S = 180


def _page() -> None:
    from workbench.apps.ui.pages.evaluate import evaluate_page

    evaluate_page()


@pytest.fixture(scope="module")
def finished_run(demo_home) -> str:
    """A real background run of the demo pipeline on the demo clip, as the Run page starts it."""
    run_id = jobs.start_run(load_spec(PIPELINE), jobs.RunRequest(source=str(demo.demo_clip()), label="demo"))
    deadline = time.monotonic() + TIMEOUT_S
    while not jobs.run_status(run_id).finished:
        assert time.monotonic() < deadline, jobs.run_status(run_id)
        time.sleep(0.5)
    assert jobs.run_status(run_id).state == "done", jobs.run_status(run_id)
    return run_id


def _app(lang: str, **state) -> AppTest:
    at = as_user(AppTest.from_function(_page, default_timeout=TIMEOUT_S))
    at.session_state["lang"] = lang
    at.session_state["eval_pipeline"] = str(PIPELINE)  # from the first render, not the page's first template
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    at.selectbox(key="eval_pipeline").set_value(str(PIPELINE)).run()
    return at


def _evaluate(at: AppTest) -> AppTest:
    at.button(key="eval_go").click().run()
    assert not at.exception, at.exception
    return at


def _table(at: AppTest, column: str):
    """The first read-only table with `column` (rules: "f1", unmatched events: "kind")."""
    return next(d.value for d in at.dataframe if d.editing_mode == "read_only" and column in d.value.columns)


def _rule_row(at: AppTest, rule: str = "count_line") -> dict:
    table = _table(at, "f1")
    (row,) = table[table["rule"] == rule].to_dict("records")
    return row


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def _crossings() -> list[dict]:
    truth = load_truth_file(view.demo_choice().truth_file())
    return view.truth_to_rows(truth)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_replaying_the_demo_pipeline_counts_every_crossing(demo_home, lang):
    at = _app(lang)
    assert at.title[0].value == t("app.eval.title", lang)
    found = t("app.eval.truth_found", lang, path=str(view.demo_choice().truth_file()), count=len(_crossings()))
    assert found in [c.value for c in at.caption]
    _evaluate(at)
    row = _rule_row(at)
    assert (row["type"], row["f1"], row["count_error"], row["fp"], row["fn"]) == ("line_crossing", 1.0, 0, 0, 0)
    assert row["tp"] == len(_crossings())
    words = [t(f"app.run.direction.{d}", lang) for d in ("in", "out")]
    assert row["count_error_by_direction"] == f"{words[0]} +0 · {words[1]} +0"
    assert 0 <= row["latency_max_s"] <= 1.0
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("app.eval.col.f1", lang)] == "1.00"
    assert metrics[t("app.eval.col.fn", lang)] == "0"
    assert not at.warning  # every true event belongs to the counting line
    (download,) = at.get("download_button")
    assert download.proto.label == t("app.eval.download", lang)


@pytest.mark.slow  # starts a worker process
def test_a_finished_run_is_scored_without_running_again(demo_home, finished_run):
    at = _app("en")
    at.radio(key="eval_mode").set_value("run").run()
    assert at.selectbox(key="eval_run").value == finished_run
    _evaluate(at)
    row = _rule_row(at)
    assert (row["f1"], row["count_error"], row["tp"]) == (1.0, 0, len(_crossings()))
    assert at.session_state["eval_report"].run["id"] == finished_run


@pytest.mark.slow  # starts a worker process
def test_events_entered_in_the_table_are_saved_and_scored(demo_home, finished_run):
    """The staff enter the crossings but forget the first and misspell the second's region."""
    rows = _crossings()
    entered = [dict(r) for r in rows[1:]]
    entered[0]["region"] = "count_lin"
    rows_key = f"eval_truth_rows::{demo.demo_clip()}"
    at = _app("en", **{rows_key: entered})
    at.radio(key="eval_truth_kind").set_value("editor").run()
    shown = at.data_editor[0].value
    assert shown.astype(object).where(shown.notna(), None).to_dict("records") == entered
    at.button(key="eval_truth_save").click().run()
    saved = demo.demo_clip().with_name("demo_s0.truth.csv")
    assert len(load_truth_file(saved).events) == len(entered)
    assert t("app.eval.editor_saved", "en", path=str(saved)) in [c.value for c in at.caption]
    at.radio(key="eval_mode").set_value("run").run()
    _evaluate(at)
    row = _rule_row(at)
    assert (row["tp"], row["fp"], row["fn"], row["count_error"]) == (len(rows) - 2, 2, 0, 2)
    assert [w.value for w in at.warning] == [t("app.eval.unused_truth", "en", items="line_crossing/count_lin ×1")]
    unmatched = _table(at, "kind")
    assert list(unmatched["kind"]) == [t("app.eval.kind_extra", "en")] * 2  # raised, but not in the entered truth
    for raised, true in zip(unmatched["time_s"], (rows[0]["time_s"], rows[1]["time_s"]), strict=True):
        assert 0 <= raised - true <= 1.0
    saved.unlink()


def test_a_wrong_row_in_the_table_is_named(demo_home):
    rows_key = f"eval_truth_rows::{demo.demo_clip()}"
    at = _app("en", **{rows_key: [{"type": "line_crossing", "region": "count_line", "direction": "in",
                                   "time_s": None, "duration_s": None}]})
    at.radio(key="eval_truth_kind").set_value("editor").run()
    problem = Problem("eval_truth_bad_event", params={"path": str(demo.demo_clip().with_name("demo_s0.truth.csv")),
                                                      "row": 1, "column": "time_s", "detail": "None is not a number "
                                                      "of seconds >= 0"})
    assert _errors(at) == [plain_problem(problem, "en", where=False)]
    assert at.button(key="eval_go").disabled


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_clip_without_truth_says_what_is_missing(demo_home, lang, tmp_path, monkeypatch):
    clip = tmp_path / "camera7.mp4"
    shutil.copy(demo.demo_clip(), clip)
    monkeypatch.setenv("WORKBENCH_FOOTAGE_DIRS", str(tmp_path))
    at = _app(lang)
    at.radio(key="eval_clip_kind").set_value("server").run()
    at.selectbox(key="eval_root").set_value(tmp_path.resolve()).run()
    at.selectbox(key="eval_file").set_value(clip).run()
    problem = Problem("eval_truth_missing", params={"path": str(tmp_path.resolve() / "camera7.truth.json")})
    assert _errors(at) == [plain_problem(problem, lang, where=False)]
    assert at.button(key="eval_go").disabled


def test_a_broken_dataset_is_a_translated_problem(demo_home):
    data = demo_home / "datasets" / "street_v1" / "data.yaml"
    data.parent.mkdir(parents=True)
    data.write_text("train: images/train\nval: images/val\n", encoding="utf-8")  # no class names
    try:
        at = _app("zh")
        assert at.selectbox(key="eval_data").value == str(data)  # datasets in the home are listed
        at.selectbox(key="eval_model_a").set_value("yolo11n").run()
        at.button(key="eval_compare").click().run()
        assert not at.exception
        problem = Problem("eval_data_bad", params={"path": str(data), "detail": "no class names (names:)"})
        assert _errors(at) == [plain_problem(problem, "zh", where=False)]
    finally:
        shutil.rmtree(data.parent)


def test_the_table_starts_from_the_truth_beside_the_clip(demo_home):
    at = _app("en")
    at.radio(key="eval_truth_kind").set_value("editor").run()
    shown = at.data_editor[0].value
    assert shown.astype(object).where(shown.notna(), None).to_dict("records") == _crossings()


def test_a_line_named_otherwise_than_the_truth_is_paired_in_the_page(demo_home):
    """The user's own line kept the default name "line" (node id from the palette): the page pairs it with the truth's
    only line, scores it exactly, and says why when the user undoes the pairing."""
    import yaml

    from workbench.apps.ui import library
    from workbench.engine.spec import parse_spec

    as_built = yaml.safe_load(load_spec(PIPELINE).to_yaml().replace("count_line", "line_crossing"))
    spec = parse_spec(as_built).with_config("line_crossing", name="line")
    path = library.save_pipeline(spec, "my_line")
    at = as_user(AppTest.from_function(_page, default_timeout=TIMEOUT_S))
    at.session_state["lang"] = "zh"
    at.run()
    at.selectbox(key="eval_pipeline").set_value(str(path)).run()
    pairing = at.selectbox(key="eval_pair_line_crossing")
    assert pairing.value == "count_line" and pairing.label == t("app.eval.pairing_rule", "zh", rule="line_crossing")
    _evaluate(at)
    row = _rule_row(at, "line_crossing")
    assert (row["tp"], row["fp"], row["fn"]) == (len(_crossings()), 0, 0)
    pairing.set_value("").run()
    _evaluate(at)
    assert _rule_row(at, "line_crossing")["tp"] == 0
    reasons = [w.value for w in at.warning]
    assert t("problem.eval_zero_regions", "zh", rules="line_crossing", regions="count_line") in reasons, reasons
