"""The Evaluate page's larger widgets: the truth editor, the event report, the detection comparison (two models, or
a finished training against its base model) and the "log to MLflow" panel under a result. Data from
`workbench.apps.ui.evaluate_view` and `workbench.apps.ui.evaluate_mlflow_view`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from workbench.apps.ui import common
from workbench.apps.ui import evaluate_mlflow_view as mlview
from workbench.apps.ui import evaluate_view as view
from workbench.apps.ui.common import lang, registry, tr
from workbench.apps.ui.plain_text import plain_t
from workbench.apps.ui.session import current_actor
from workbench.core.errors import Problem
from workbench.engine.spec import PipelineSpec
from workbench.features.evaluation.report import EventReport
from workbench.features.evaluation.truth import GroundTruth
from workbench.models.zoo import list_models

DETECTION_KEY = "eval_detection"  # the last DetectionComparison (or problems) of the detection tab
TRAINING_WARNINGS_KEY = "eval_training_warnings"


def show_problems(problems: list[Problem]) -> None:
    common.show_problems(problems, where=False)


def table(rows: list[dict], columns: tuple[str, ...]) -> None:
    config = {c: st.column_config.Column(tr(f"app.eval.col.{c}")) for c in columns}
    st.dataframe(pd.DataFrame(rows, columns=list(columns)), hide_index=True, column_config=config)


def truth_editor(clip: view.ClipChoice) -> GroundTruth | None:
    """Events in a table, saved beside the clip as CSV; the rows start from the truth already there, if any."""
    target = clip.staff_truth_file()
    rows_key, version_key = f"eval_truth_rows::{clip.video}", f"eval_truth_version::{clip.video}"
    if rows_key not in st.session_state:
        start_from = target if target.is_file() else clip.truth_file()
        st.session_state[rows_key] = view.load_rows(start_from) if start_from else []
    version = st.session_state.setdefault(version_key, 0)
    st.caption(tr("app.eval.editor_help"))
    cc = st.column_config
    edited = st.data_editor(view.editor_frame(st.session_state[rows_key]), num_rows="dynamic", hide_index=True,
                            key=f"eval_truth_editor::{clip.video}::{version}", column_config={
                                "type": cc.SelectboxColumn(tr("app.eval.col.type"), options=view.EVENT_TYPES,
                                                           required=True),
                                "region": cc.TextColumn(tr("app.eval.col.region")),
                                "direction": cc.SelectboxColumn(tr("app.eval.col.direction"), options=view.DIRECTIONS),
                                "time_s": cc.NumberColumn(tr("app.eval.col.time_s"), min_value=0.0, format="%.2f",
                                                          required=True),
                                "duration_s": cc.NumberColumn(tr("app.eval.col.duration_s"), min_value=0.0,
                                                              format="%.2f")})
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


def region_pairing(spec: PipelineSpec, truth: GroundTruth) -> dict[str, str]:
    """"Rule = truth region": which region of the truth each rule stands for (preset by name, or paired
    automatically when there is one of each); the user may change it. {rule node: region or ""}."""
    pairs = view.region_pairing(spec, truth, registry())
    if not pairs:
        return {}
    st.caption(tr("app.eval.pairing"))
    chosen = {}
    for node, regions, default in pairs:
        options = ["", *regions]
        label = tr("app.eval.pairing_rule", rule=node)
        chosen[node] = st.selectbox(label, options, index=options.index(default), key=f"eval_pair_{node}",
                                    format_func=lambda r: r or tr("app.eval.pairing_none"))
    return chosen


def show_report(report: EventReport | list[Problem] | None) -> None:
    if report is None:
        return
    st.divider()
    if not isinstance(report, EventReport):
        show_problems(report)
        return
    st.subheader(plain_t("app.eval.report", lang(), pipeline=report.pipeline, clip=Path(report.clip).name,
                         tolerance=report.tolerance_s))
    for col, (name, value) in zip(st.columns(6), view.total_tiles(report), strict=True):
        col.metric(tr(f"app.eval.col.{name}"), value)
    for reason in report.zero_reasons():
        st.warning(reason.message(lang()), icon=":material/help:")
    if report.region_map:
        pairs = ", ".join(f"{node} = {region}" for node, region in report.region_map.items())
        st.caption(tr("app.eval.paired", pairs=pairs))
    if report.unused_truth:
        st.warning(tr("app.eval.unused_truth", items=view.unused_truth_text(report)))
    if not report.groups:
        st.info(tr("app.eval.no_groups"))
    else:
        table(view.rule_rows(report, lang()), view.RULE_COLUMNS)
        st.altair_chart(view.score_chart(report, lang()), width="stretch")
    unmatched = view.unmatched_rows(report)
    with st.expander(tr("app.eval.unmatched", count=len(unmatched))):
        if unmatched:
            for row in unmatched:
                row["kind"] = tr(f"app.eval.kind_{row['kind']}")
            table(unmatched, view.UNMATCHED_COLUMNS)
        else:
            st.caption(tr("app.eval.all_matched"))
    st.download_button(tr("app.eval.download"), report.to_json(), file_name=f"{report.pipeline}.eval.json",
                       mime="application/json", key="eval_download")
    mlflow_panel(report, "eval_mlflow")


def mlflow_panel(result: object, key: str) -> None:
    """"Log to MLflow": as a new evaluation run, or added to a finished training's run; shows the run id."""
    choices = mlview.attach_choices(lang=lang())
    cols = st.columns([3, 1])
    target = cols[0].selectbox(tr("app.eval_mlflow.attach"), list(choices), key=f"{key}_target",
                               format_func=choices.__getitem__)
    if cols[1].button(tr("app.eval_mlflow.log"), key=f"{key}_log"):
        with st.spinner(tr("app.eval_mlflow.logging")):
            logged = mlview.log_result(result, target or mlview.NEW_RUN, actor=current_actor())
            st.session_state[f"{key}_result"] = logged
    logged = st.session_state.get(f"{key}_result")
    if isinstance(logged, list):
        show_problems(logged)
    elif logged is not None:
        show_problems(list(logged.warnings))
        st.success(mlview.logged_text(logged, lang()))
        if logged.link:
            st.markdown(f"[{tr('app.eval_mlflow.open')}]({logged.link})")


def detection_section() -> None:
    """Two models on one dataset, or a finished training against its base model; then the tables."""
    st.caption(tr("app.eval.detection_intro"))
    _compare_training()
    datasets = [str(p) for p in view.dataset_yamls()]
    data = st.selectbox(tr("app.eval.dataset"), datasets, index=0 if datasets else None, key="eval_data",
                        accept_new_options=True, placeholder=tr("app.eval.dataset_placeholder"))
    models = [m.id for m in list_models()]
    cols = st.columns(2)
    picked = [col.selectbox(label, models, index=None, key=f"eval_model_{ab}", accept_new_options=True,
                            placeholder=tr("app.eval.model_placeholder"))
              for col, ab, label in zip(cols, "ab", (tr("app.eval.model_a"), tr("app.eval.model_b")), strict=True)]
    chosen = [m for m in picked if m]
    imgsz = st.number_input(tr("app.eval.imgsz"), min_value=32, max_value=2048, value=320, step=32, key="eval_imgsz")
    if st.button(tr("app.eval.compare"), type="primary", disabled=not data or not chosen, key="eval_compare"):
        with st.spinner(tr("app.eval.comparing")):
            st.session_state[DETECTION_KEY] = view.run_comparison(data, chosen, int(imgsz))
        st.session_state.pop(TRAINING_WARNINGS_KEY, None)
        st.session_state.pop("eval_det_mlflow_result", None)
    _show_comparison()


def _compare_training() -> None:
    trainings = mlview.finished_trainings()
    if not trainings:
        return
    labels = {s.id: mlview.training_label(s, lang()) for s in trainings}
    cols = st.columns([3, 1])
    job_id = cols[0].selectbox(tr("app.eval_mlflow.training"), list(labels), key="eval_training",
                               format_func=labels.__getitem__, help=tr("app.eval_mlflow.training_help"))
    if cols[1].button(tr("app.eval_mlflow.compare_base"), key="eval_compare_training"):
        with st.spinner(tr("app.eval.comparing")):
            outcome = mlview.compare_with_base(job_id)
        st.session_state.pop("eval_det_mlflow_result", None)
        if isinstance(outcome, list):
            st.session_state[DETECTION_KEY] = outcome
            st.session_state.pop(TRAINING_WARNINGS_KEY, None)
        else:
            st.session_state[DETECTION_KEY] = outcome.comparison
            st.session_state[TRAINING_WARNINGS_KEY] = (outcome.warnings, outcome.logged)
    st.divider()


def _show_comparison() -> None:
    result = st.session_state.get(DETECTION_KEY)
    if result is None:
        return
    if isinstance(result, list):
        show_problems(result)
        return
    warnings, logged = st.session_state.get(TRAINING_WARNINGS_KEY, ([], None))
    show_problems(warnings)
    if logged is not None:
        st.success(mlview.logged_text(logged, lang()))
    table(view.detection_rows(result), view.DETECTION_COLUMNS)
    st.markdown(f"**{tr('app.eval.per_class')}**")
    table(view.per_class_rows(result), view.PER_CLASS_COLUMNS)
    if logged is None:
        mlflow_panel(result, "eval_det_mlflow")
