"""The Evaluate page: "does my algorithm raise the events it should?" and "is the fine-tuned detector better?".

Event evaluation: a pipeline, a clip, its ground truth (found beside the clip, uploaded, or entered in a table and
saved beside the clip) and a time tolerance; the pipeline is replayed on the clip (or a finished run is scored) and
every rule gets precision, recall, F1, count error, latency. Detection comparison: two models on one dataset, or a
finished training against its base model. Each result can be logged to MLflow. The data comes from
`workbench.apps.ui.evaluate_view`, the larger widgets from `workbench.apps.ui.evaluate_parts`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from workbench.apps.ui import evaluate_parts as parts
from workbench.apps.ui import evaluate_view as view
from workbench.apps.ui import video_picker
from workbench.apps.ui.common import lang, registry, tr
from workbench.apps.ui.library import list_pipelines
from workbench.apps.ui.plain_text import plain_t
from workbench.core.errors import PipelineInvalid, WorkbenchError
from workbench.engine.spec import PipelineSpec, load_spec
from workbench.features.evaluation.truth import GroundTruth
from workbench.features.finetune.clips import ClipLibrary
from workbench.features.synth import demo
from workbench.jobs import runs as jobs

CLIP_KINDS = ("demo", "library", "upload", "server")
TRUTH_KINDS = ("beside", "upload", "editor")
MODES = ("replay", "run")
REPORT_KEY = "eval_report"  # the last EventReport (or list of problems) shown under the form
DEFAULT_TOLERANCE_S = 1.0


def evaluate_page() -> None:
    st.title(tr("app.eval.title"))
    events_tab, detection_tab = st.tabs([tr("app.eval.tab_events"), tr("app.eval.tab_detection")])
    with events_tab:
        _event_evaluation()
    with detection_tab:
        parts.detection_section()


# -- event evaluation ------------------------------------------------------------------------------------------------
def _event_evaluation() -> None:
    st.caption(tr("app.eval.events_intro"))
    spec = _pick_pipeline()
    clip = _pick_clip()
    if spec is None or clip is None:
        parts.show_report(st.session_state.get(REPORT_KEY))
        return
    _watched(spec)
    truth = _pick_truth(clip)
    region_map = parts.region_pairing(spec, truth) if truth is not None else None
    tolerance = st.number_input(tr("app.eval.tolerance"), min_value=0.0, max_value=60.0, value=DEFAULT_TOLERANCE_S,
                                step=0.5, key="eval_tolerance", help=tr("app.eval.tolerance_help"))
    labels = {m: tr(f"app.eval.mode_{m}") for m in MODES}
    mode = st.radio(tr("app.eval.mode"), MODES, key="eval_mode", horizontal=True, format_func=labels.__getitem__)
    run_id = _pick_run(spec, clip) if mode == "run" else None
    ready = truth is not None and (mode == "replay" or run_id is not None)
    if st.button(tr("app.eval.go"), type="primary", disabled=not ready, key="eval_go"):
        with st.spinner(tr("app.eval.replaying")):
            st.session_state[REPORT_KEY] = view.run_evaluation(spec, clip.video, truth, float(tolerance), run_id,
                                                               registry(), region_map)
        st.session_state.pop("eval_mlflow_result", None)
    parts.show_report(st.session_state.get(REPORT_KEY))


def _pick_pipeline() -> PipelineSpec | None:
    entries = list_pipelines()
    if not entries:
        st.info(tr("app.eval.no_pipelines"))
        return None
    labels = view.pipeline_labels(entries, lang())
    path = st.selectbox(tr("app.eval.pipeline"), list(labels), key="eval_pipeline", format_func=labels.__getitem__)
    try:
        return load_spec(Path(path))
    except PipelineInvalid as exc:
        st.warning(tr("app.eval.pipeline_invalid"))
        parts.show_problems(exc.problems)
        return None


def _pick_clip() -> view.ClipChoice | None:
    labels = {k: tr(f"app.eval.clip_{k}") if k in ("demo", "library") else video_picker.label(k) for k in CLIP_KINDS}
    kind = st.radio(tr("app.eval.clip"), CLIP_KINDS, key="eval_clip_kind", horizontal=True,
                    format_func=labels.__getitem__)
    if kind == "demo":
        choice = view.demo_choice()
        if not choice.video.is_file():
            st.info(tr("app.eval.demo_missing"))
            if st.button(tr("app.eval.demo_generate"), key="eval_make_demo"):
                with st.spinner(tr("app.eval.demo_generating")):
                    demo.make_demo_clip()
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
    chosen = video_picker.pick(kind, "eval")  # an upload, or a file of the server's footage folders
    return None if chosen is None else view.ClipChoice(chosen.resolve())


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
            try:
                truth, found = view.beside_truth(clip)
            except WorkbenchError as exc:
                parts.show_problems(exc.problems)
                st.info(tr("app.eval.truth_missing_hint"))
                return None
            st.caption(tr("app.eval.truth_found", path=str(found), count=len(truth.events)))
            return truth
        if kind == "upload":
            upload = st.file_uploader(tr("app.eval.truth_upload_file"), type=["json", "csv"], key="eval_truth_file")
            if upload is None:
                return None
            truth = view.truth_from_upload(upload.name, upload.getvalue())
            st.caption(tr("app.eval.truth_loaded", count=len(truth.events)))
            return truth
        return parts.truth_editor(clip)
    except WorkbenchError as exc:
        parts.show_problems(exc.problems)
        return None


def _pick_run(spec: PipelineSpec, clip: view.ClipChoice) -> str | None:
    runs = view.matching_runs(jobs.list_runs(), spec, clip.video)
    if not runs:
        st.info(plain_t("app.eval.no_runs", lang(), pipeline=spec.meta.name))
        return None
    labels = view.run_labels(runs, lang())
    return st.selectbox(tr("app.eval.run"), list(labels), key="eval_run", format_func=labels.__getitem__)
