"""The Run page: pick a pipeline and a video, run it in the background, watch progress, see and reopen results.

The open run's id lives in the URL (`?run=<id>`), so a browser refresh reopens it; the run itself is a separate
process (workbench.jobs.runs), so the page stays responsive and nothing is lost on refresh.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from workbench.apps.ui import video_picker
from workbench.apps.ui.common import lang, registry, tr
from workbench.apps.ui.health_view import health_table
from workbench.apps.ui.job_panel import JobRow, JobTexts, form_beside_job, past_jobs_table
from workbench.apps.ui.library import PipelineEntry, list_pipelines
from workbench.apps.ui.plain_text import plain_problem, plain_t
from workbench.apps.ui.results import show_results
from workbench.apps.ui.session import as_signed_in
from workbench.core import footage
from workbench.core.errors import PipelineInvalid, Problem
from workbench.core.locations import is_stream_url, is_url, redact, source_problems
from workbench.core.policy import operator_policy
from workbench.engine.spec import PipelineSpec, load_spec
from workbench.engine.validate import errors_only, site_pending_problems, validate
from workbench.jobs import runs as jobs
from workbench.media.health import HEALTH_FILE, read_health

CLIP_KINDS = (*video_picker.KINDS, "url", "pipeline")
PAST_RUNS_SHOWN = 20
RUN_TEXTS = JobTexts(unknown="app.run.unknown_run", opened="app.run.opened", close="app.run.close")
PIPELINE_KEY = "run_pipeline_path"  # set by the Build page to open the Run page on a pipeline


def run_page() -> None:
    st.title(tr("app.run.title"))
    form_beside_job(_new_run_form, "run", jobs.run_status, RUN_TEXTS, _finished, _live)
    st.divider()
    _past_runs()


# -- new run ---------------------------------------------------------------------------------------------------------
def _pipeline_label(entry: PipelineEntry) -> str:
    key = "app.run.pipeline_template" if entry.bundled else "app.run.pipeline_mine"
    return tr(key, title=entry.title, name=entry.name)


def _load_checked(path: Path) -> tuple[PipelineSpec | None, list[Problem]]:
    """The pipeline and its errors (the same as `workbench validate`)."""
    try:
        spec = load_spec(path)
    except PipelineInvalid as exc:
        return None, exc.problems
    return spec, errors_only(validate(spec, registry()))


def _show_problems(problems: list[Problem]) -> None:
    for p in problems:  # the pipeline's text (maybe imported) in them is escaped, never drawn as Markdown
        st.error(plain_problem(p, lang()))


def _new_run_form() -> None:
    st.subheader(tr("app.run.new"))
    entries = list_pipelines()
    if not entries:
        st.info(tr("app.run.no_pipelines"))
        return
    paths = [str(e.path) for e in entries]
    wanted = st.session_state.pop(PIPELINE_KEY, None)
    if wanted and str(Path(wanted).resolve()) in paths:
        st.session_state["run_pipeline_select"] = str(Path(wanted).resolve())
    labels = {str(e.path): _pipeline_label(e) for e in entries}
    path = st.selectbox(tr("app.run.pipeline"), paths, key="run_pipeline_select", format_func=labels.__getitem__)
    spec, problems = _load_checked(Path(path))
    if problems:
        st.warning(tr("app.run.pipeline_invalid"))
        _show_problems(problems)
        return
    for p in site_pending_problems(spec):  # an imported algorithm whose lines/zones are still the publisher's
        st.warning(plain_problem(p, lang()))
    found = jobs.source_node(spec, registry())
    source = _pick_clip(str(found[0].config.get(found[1], "")) if found else "")
    window = found[0].config if found else {}
    st.markdown(f"**{tr('app.run.range')}**")
    cols = st.columns(3)
    start = cols[0].number_input(tr("app.run.start_s"), min_value=0.0, value=float(window.get("start") or 0.0),
                                 step=1.0, key=f"run_start::{path}")
    end = cols[1].number_input(tr("app.run.end_s"), min_value=0.0, value=float(window.get("end") or 0.0),
                               step=1.0, key=f"run_end::{path}")
    stride = cols[2].number_input(tr("app.run.stride"), min_value=1, max_value=10_000,
                                  value=int(window.get("stride") or 1), step=1, key=f"run_stride::{path}")
    bad_range = end > 0 and end <= start
    if bad_range:
        st.error(tr("app.run.end_before_start"))
    if st.button(tr("app.run.start_button"), type="primary", disabled=source is None or bad_range, key="run_start"):
        request = jobs.RunRequest(source=source or None, stride=int(stride), start=float(start),
                                  end=float(end) if end > 0 else None, label=Path(path).stem)
        if found:  # the page's window replaces the pipeline's, including "to the end"
            spec = spec.with_config(found[0].id, stride=request.stride, start=request.start, end=request.end)
        run_id = as_signed_in(jobs.start_run, spec, request)
        if run_id:
            st.query_params["run"] = run_id
            st.rerun()


def _pick_clip(pipeline_source: str) -> str | None:
    """The video the run reads: a path or URL, "" for the pipeline's own source, None while nothing usable is chosen."""
    labels = {k: tr(f"app.run.clip_{k}") if k in ("url", "pipeline") else video_picker.label(k) for k in CLIP_KINDS}
    kind = st.radio(tr("app.run.clip"), CLIP_KINDS, key="run_clip_kind", horizontal=True,
                    format_func=labels.__getitem__)
    if kind in video_picker.KINDS:
        chosen = video_picker.pick(kind, "run")
        return None if chosen is None else str(chosen)
    if kind == "url":
        text = st.text_input(tr("app.run.url"), key="run_url").strip()
        if text and not is_stream_url(text):
            st.error(tr("app.run.url_invalid", url=redact(text)))
            return None
        refused = source_problems(text, "run", "url", operator_policy()) if text else []
        for problem in refused:
            st.error(problem.message(lang()))
        return (text or None) if not refused else None
    st.caption(plain_t("app.run.clip_pipeline_hint", lang(), source=redact(pipeline_source)))
    if pipeline_source and not is_url(pipeline_source) and not footage.allowed(pipeline_source):
        st.error(tr("app.run.pipeline_source_outside", path=pipeline_source))  # the app opens footage folders only
        return None
    return ""


# -- one run ---------------------------------------------------------------------------------------------------------
def _clip_name(source: str) -> str:
    return redact(source) if is_stream_url(source) else Path(source).name


def _state_line(status: jobs.RunStatus) -> None:
    st.caption(tr("app.run.state_line", state=tr(f"app.run.state.{status.state}"), pipeline=status.pipeline,
                  source=_clip_name(status.source)))


@st.fragment(run_every=1)
def _live(run_id: str) -> None:
    """Progress, refreshed every second without rerunning the page; the whole page reruns once the run ends."""
    status = jobs.run_status(run_id)
    if status.finished:
        st.rerun()
    _state_line(status)
    if status.state == "queued":
        st.progress(0, text=tr("app.run.starting"))
    elif status.expected:
        eta = "?" if status.eta_s is None else f"{status.eta_s:.0f}"
        text = tr("app.run.progress", frames=status.frames, expected=status.expected, fps=f"{status.fps:.1f}",
                  eta=eta)
        st.progress(min(status.frames / status.expected, 1.0), text=text)
    else:
        st.progress(0, text=tr("app.run.progress_open", frames=status.frames, fps=f"{status.fps:.1f}"))
    health = read_health(jobs.output_dir(run_id) / HEALTH_FILE)  # a live stream source reports its health
    if health:
        health_table(health, key=f"run_{run_id}")
    if status.cancel_requested:
        st.info(tr("app.run.cancel_requested"))
    else:
        st.button(tr("app.run.cancel"), key=f"run_cancel::{run_id}", on_click=as_signed_in,
                  args=(jobs.cancel_run, run_id))
    show_results(status, lang())


def _finished(status: jobs.RunStatus) -> None:
    _state_line(status)
    if status.problems:
        st.markdown(f"**{tr('app.run.problems')}**")
        _show_problems(status.problems)
    if status.state == "lost":
        st.warning(tr("app.run.lost_hint"))
    elif status.state == "stopped_early":
        st.warning(tr("app.run.stopped_early_hint"))
    show_results(status, lang())


# -- past runs -------------------------------------------------------------------------------------------------------
def _past_runs() -> None:
    st.subheader(tr("app.run.past"))
    runs = jobs.list_runs(PAST_RUNS_SHOWN)
    if not runs:
        st.caption(tr("app.run.no_runs"))
        return
    headers = [tr(f"app.run.col.{key}") for key in ("state", "pipeline", "clip", "events", "started")]
    rows = [JobRow(run.id, (tr(f"app.run.state.{run.state}"), run.pipeline, _clip_name(run.source),
                            "" if run.event_total is None else str(run.event_total),
                            run.started.replace("T", " ")[:19])) for run in runs]
    past_jobs_table(headers, rows, [2, 3, 3, 1, 2, 1], "run", tr("app.run.open"), "run_open")
