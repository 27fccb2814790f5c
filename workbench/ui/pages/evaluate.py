"""The Evaluate page: "does my algorithm raise the events it should?" and "is the fine-tuned detector better?".

Event evaluation: a pipeline, a clip, its ground truth (found beside the clip, uploaded, or entered in a table and
saved beside the clip) and a time tolerance; the pipeline is replayed on the clip (or a finished run is scored) and
every rule gets precision, recall, F1, count error, latency. Detection comparison: two models on one dataset.
The data behind every table comes from `workbench.ui.evaluate_view`.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from workbench import jobs
from workbench.errors import PipelineInvalid, Problem, WorkbenchError
from workbench.evaluation.report import EventReport
from workbench.evaluation.truth import GroundTruth, load_truth_file
from workbench.finetune.clips import ClipLibrary
from workbench.spec import PipelineSpec, load_spec
from workbench.ui import evaluate_view as view
from workbench.ui.common import lang, registry, tr
from workbench.ui.library import list_pipelines
from workbench.zoo import list_models

CLIP_KINDS = ("demo", "library", "path")
TRUTH_KINDS = ("beside", "upload", "editor")
MODES = ("replay", "run")
REPORT_KEY = "eval_report"  # the last EventReport (or list of problems) shown under the form
DETECTION_KEY = "eval_detection"
DEFAULT_TOLERANCE_S = 1.0


def evaluate_page() -> None:
    st.title(tr("app.eval.title"))
    events_tab, detection_tab = st.tabs([tr("app.eval.tab_events"), tr("app.eval.tab_detection")])
    with events_tab:
        _event_evaluation()
    with detection_tab:
        _detection_comparison()


def _show_problems(problems: list[Problem]) -> None:
    for p in problems:
        st.error(p.message(lang()))


# -- event evaluation ------------------------------------------------------------------------------------------------
def _event_evaluation() -> None:
    st.caption(tr("app.eval.events_intro"))
    spec = _pick_pipeline()
    clip = _pick_clip()
    if spec is None or clip is None:
        _show_report()
        return
    _watched(spec)
    truth = _pick_truth(clip)
    tolerance = st.number_input(tr("app.eval.tolerance"), min_value=0.0, max_value=60.0, value=DEFAULT_TOLERANCE_S,
                                step=0.5, key="eval_tolerance", help=tr("app.eval.tolerance_help"))
    labels = {m: tr(f"app.eval.mode_{m}") for m in MODES}
    mode = st.radio(tr("app.eval.mode"), MODES, key="eval_mode", horizontal=True, format_func=labels.__getitem__)
    run_id = _pick_run(spec, clip) if mode == "run" else None
    ready = truth is not None and (mode == "replay" or run_id is not None)
    if st.button(tr("app.eval.go"), type="primary", disabled=not ready, key="eval_go"):
        _evaluate(spec, clip, truth, float(tolerance), run_id)
    _show_report()


def _pick_pipeline() -> PipelineSpec | None:
    entries = list_pipelines()
    if not entries:
        st.info(tr("app.eval.no_pipelines"))
        return None
    paths = [str(e.path) for e in entries]
    labels = {str(e.path): tr("app.eval.pipeline_bundled" if e.bundled else "app.eval.pipeline_mine",
                              title=e.title, name=e.name) for e in entries}
    path = st.selectbox(tr("app.eval.pipeline"), paths, key="eval_pipeline", format_func=labels.__getitem__)
    try:
        return load_spec(Path(path))
    except PipelineInvalid as exc:
        st.warning(tr("app.eval.pipeline_invalid"))
        _show_problems(exc.problems)
        return None


def _pick_clip() -> view.ClipChoice | None:
    labels = {k: tr(f"app.eval.clip_{k}") for k in CLIP_KINDS}
    kind = st.radio(tr("app.eval.clip"), CLIP_KINDS, key="eval_clip_kind", horizontal=True,
                    format_func=labels.__getitem__)
    if kind == "demo":
        choice = view.demo_choice()
        if not choice.video.is_file():
            st.info(tr("app.eval.demo_missing"))
            if st.button(tr("app.eval.demo_generate"), key="eval_make_demo"):
                with st.spinner(tr("app.eval.demo_generating")):
                    jobs.make_demo_clip()
                st.rerun()
            return None
        return choice
    if kind == "library":
        library = ClipLibrary()
        clips = {c.id: c for c in library.list()}
        choices = view.library_choices(library)
        if not choices:
            st.info(tr("app.eval.library_empty"))
            return None
        clip_id = st.selectbox(tr("app.eval.library_clip"), list(choices), key="eval_library_clip",
                               format_func=lambda cid: view.clip_label(clips[cid]))
        return choices[clip_id]
    text = st.text_input(tr("app.eval.path"), key="eval_path").strip()
    if not text:
        return None
    if not Path(text).expanduser().is_file():
        _show_problems([Problem("eval_clip_missing", field="--clip", params={"path": text})])
        return None
    return view.ClipChoice(Path(text).expanduser().resolve())


def _watched(spec: PipelineSpec) -> None:
    regions = view.watched_regions(spec, registry())
    if regions:
        st.caption(tr("app.eval.watched", regions="; ".join(f"{r} ({types})" for r, types in regions)))
    else:
        st.warning(tr("app.eval.no_rules"))


def _pick_truth(clip: view.ClipChoice) -> GroundTruth | None:
    labels = {k: tr(f"app.eval.truth_{k}") for k in TRUTH_KINDS}
    kind = st.radio(tr("app.eval.truth"), TRUTH_KINDS, key="eval_truth_kind", horizontal=True,
                    format_func=labels.__getitem__)
    try:
        if kind == "beside":
            found = clip.truth_file()
            if found is None:
                _show_problems([Problem("eval_truth_missing", field="--truth",
                                        params={"path": str(clip.expected_truth_file())})])
                st.info(tr("app.eval.truth_missing_hint"))
                return None
            truth = load_truth_file(found)
            st.caption(tr("app.eval.truth_found", path=str(found), count=len(truth.events)))
            return truth
        if kind == "upload":
            upload = st.file_uploader(tr("app.eval.truth_upload_file"), type=["json", "csv"], key="eval_truth_file")
            if upload is None:
                return None
            truth = view.truth_from_upload(upload.name, upload.getvalue())
            st.caption(tr("app.eval.truth_loaded", count=len(truth.events)))
            return truth
        return _truth_editor(clip)
    except WorkbenchError as exc:
        _show_problems(exc.problems)
        return None


def _truth_editor(clip: view.ClipChoice) -> GroundTruth | None:
    """Events in a table, saved beside the clip as CSV; the rows start from the truth already there, if any."""
    target = clip.staff_truth_file()
    rows_key, version_key = f"eval_truth_rows::{clip.video}", f"eval_truth_version::{clip.video}"
    if rows_key not in st.session_state:
        start_from = target if target.is_file() else clip.truth_file()
        st.session_state[rows_key] = view.load_rows(start_from) if start_from else []
    version = st.session_state.setdefault(version_key, 0)
    st.caption(tr("app.eval.editor_help"))
    frame = pd.DataFrame(st.session_state[rows_key], columns=list(view.EDITOR_COLUMNS))
    frame = frame.astype({"type": "object", "region": "object", "direction": "object",
                          "time_s": "float64", "duration_s": "float64"})
    edited = st.data_editor(frame, num_rows="dynamic", hide_index=True,
                            key=f"eval_truth_editor::{clip.video}::{version}", column_config={
                                "type": st.column_config.SelectboxColumn(tr("app.eval.col.type"),
                                                                         options=view.EVENT_TYPES, required=True),
                                "region": st.column_config.TextColumn(tr("app.eval.col.region")),
                                "direction": st.column_config.SelectboxColumn(tr("app.eval.col.direction"),
                                                                              options=view.DIRECTIONS),
                                "time_s": st.column_config.NumberColumn(tr("app.eval.col.time_s"), min_value=0.0,
                                                                        format="%.2f", required=True),
                                "duration_s": st.column_config.NumberColumn(tr("app.eval.col.duration_s"),
                                                                            min_value=0.0, format="%.2f")})
    rows = edited.to_dict("records")
    truth = view.rows_to_truth(rows, origin=str(target))  # problems name the editor row and column
    if st.button(tr("app.eval.editor_save"), key="eval_truth_save", disabled=not truth.events):
        view.save_rows(rows, target)
        st.session_state[rows_key] = view.load_rows(target)
        st.session_state[version_key] = version + 1
        st.rerun()
    if target.is_file():
        st.caption(tr("app.eval.editor_saved", path=str(target)))
    return truth


def _pick_run(spec: PipelineSpec, clip: view.ClipChoice) -> str | None:
    runs = view.matching_runs(jobs.list_runs(), spec, clip.video)
    if not runs:
        st.info(tr("app.eval.no_runs", pipeline=spec.meta.name))
        return None
    labels = {r.id: tr("app.eval.run_label", started=r.started.replace("T", " ")[:19], events=r.event_total or 0,
                       id=r.id) for r in runs}
    return st.selectbox(tr("app.eval.run"), list(labels), key="eval_run", format_func=labels.__getitem__)


def _evaluate(spec: PipelineSpec, clip: view.ClipChoice, truth: GroundTruth, tolerance: float,
              run_id: str | None) -> None:
    from workbench.evaluation.replay import replay

    try:
        if run_id:
            report = view.evaluate_run(run_id, truth, tolerance, registry())
        else:
            with st.spinner(tr("app.eval.replaying")):
                report = replay(spec, clip.video, truth, tolerance_s=tolerance, registry=registry())
        st.session_state[REPORT_KEY] = report
    except WorkbenchError as exc:
        st.session_state[REPORT_KEY] = list(exc.problems)


def _table(rows: list[dict], columns: tuple[str, ...]) -> None:
    config = {c: st.column_config.Column(tr(f"app.eval.col.{c}")) for c in columns}
    st.dataframe(pd.DataFrame(rows, columns=list(columns)), hide_index=True, column_config=config)


def _show_report() -> None:
    report = st.session_state.get(REPORT_KEY)
    if report is None:
        return
    st.divider()
    if not isinstance(report, EventReport):
        _show_problems(report)
        return
    st.subheader(tr("app.eval.report", pipeline=report.pipeline, clip=Path(report.clip).name,
                    tolerance=report.tolerance_s))
    totals = report.totals
    cols = st.columns(6)
    for col, name, value in zip(cols, ("tp", "fp", "fn", "precision", "recall", "f1"),
                                (totals.tp, totals.fp, totals.fn, f"{totals.precision:.2f}",
                                 f"{totals.recall:.2f}", f"{totals.f1:.2f}"), strict=True):
        col.metric(tr(f"app.eval.col.{name}"), value)
    if report.unused_truth:
        st.warning(tr("app.eval.unused_truth", items=view.unused_truth_text(report)))
    if not report.groups:
        st.info(tr("app.eval.no_groups"))
    else:
        _table(view.rule_rows(report), view.RULE_COLUMNS)
        _score_chart(report)
    unmatched = view.unmatched_rows(report)
    with st.expander(tr("app.eval.unmatched", count=len(unmatched))):
        if unmatched:
            for row in unmatched:
                row["kind"] = tr(f"app.eval.kind_{row['kind']}")
            _table(unmatched, view.UNMATCHED_COLUMNS)
        else:
            st.caption(tr("app.eval.all_matched"))
    st.download_button(tr("app.eval.download"), report.to_json(), file_name=f"{report.pipeline}.eval.json",
                       mime="application/json", key="eval_download")


def _score_chart(report: EventReport) -> None:
    """Precision, recall and F1 of each rule as grouped horizontal bars."""
    data = pd.DataFrame(view.score_chart_rows(report))
    order = [tr(f"app.eval.col.{m}") for m in ("precision", "recall", "f1")]
    data["metric"] = data["metric"].map(lambda m: tr(f"app.eval.col.{m}"))
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("rule:N", title=tr("app.eval.col.rule"), axis=alt.Axis(labelLimit=320)),
        yOffset=alt.YOffset("metric:N", sort=order),
        x=alt.X("value:Q", title="", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("metric:N", title="", sort=order), tooltip=["rule", "metric", "value"],
    ).properties(height=30 + 60 * len(report.groups))
    st.altair_chart(chart, width="stretch")


# -- detection comparison ------------------------------------------------------------------------------------------
def _model_options() -> list[str]:
    return [m.id for m in list_models()]


def _detection_comparison() -> None:
    st.caption(tr("app.eval.detection_intro"))
    datasets = [str(p) for p in view.dataset_yamls()]
    data = st.selectbox(tr("app.eval.dataset"), datasets, index=0 if datasets else None, key="eval_data",
                        accept_new_options=True, placeholder=tr("app.eval.dataset_placeholder"))
    models = _model_options()
    cols = st.columns(2)
    model_a = cols[0].selectbox(tr("app.eval.model_a"), models, index=None, key="eval_model_a",
                                accept_new_options=True, placeholder=tr("app.eval.model_placeholder"))
    model_b = cols[1].selectbox(tr("app.eval.model_b"), models, index=None, key="eval_model_b",
                                accept_new_options=True, placeholder=tr("app.eval.model_placeholder"))
    imgsz = st.number_input(tr("app.eval.imgsz"), min_value=32, max_value=2048, value=320, step=32, key="eval_imgsz")
    chosen = [m for m in (model_a, model_b) if m]
    if st.button(tr("app.eval.compare"), type="primary", disabled=not data or not chosen, key="eval_compare"):
        from workbench.evaluation.detection import compare_models

        try:
            with st.spinner(tr("app.eval.comparing")):
                st.session_state[DETECTION_KEY] = compare_models(data, chosen, imgsz=int(imgsz))
        except WorkbenchError as exc:
            st.session_state[DETECTION_KEY] = list(exc.problems)
    result = st.session_state.get(DETECTION_KEY)
    if result is None:
        return
    if isinstance(result, list):
        _show_problems(result)
        return
    _table(view.detection_rows(result), view.DETECTION_COLUMNS)
    st.markdown(f"**{tr('app.eval.per_class')}**")
    _table(view.per_class_rows(result), view.PER_CLASS_COLUMNS)
