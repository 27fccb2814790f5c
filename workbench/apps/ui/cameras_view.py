"""The Cameras page's parts: start one pipeline on a table of cameras (a background `workbench serve`), list the
camera groups, and watch one (health refreshed every ~2 s, latest events per camera, stop).

What it shows comes from workbench.features.streams.serve_jobs; the open group's id lives in the URL (`?serve=<id>`)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from workbench.apps.ui.common import lang, registry, tr
from workbench.apps.ui.health_view import health_table
from workbench.apps.ui.job_panel import JobRow, JobTexts, job_panel, past_jobs_table
from workbench.apps.ui.library import PipelineEntry, list_pipelines
from workbench.apps.ui.results import event_column_config, events_table
from workbench.apps.ui.session import as_signed_in, current_actor
from workbench.core.errors import PipelineInvalid, WorkbenchError
from workbench.core.events import Event
from workbench.engine.spec import load_spec
from workbench.engine.validate import errors_only, validate
from workbench.features.streams import serve_jobs

ROWS_KEY, NEXT_KEY, ID_KEY, URL_KEY = "cameras_rows", "cameras_next_row", "cameras_id", "cameras_url"
PARAM = "serve"
REFRESH_S = 2
EVENTS_SHOWN, LOG_TAIL_BYTES = 10, 6000


# -- starting --------------------------------------------------------------------------------------------------------
def camera_rows(rows: list[int]) -> list[dict[str, str]]:
    """The typed rows as cameras: text trimmed, rows left fully empty dropped (half-filled rows are kept, so the
    check names what is missing)."""
    typed = [{"id": str(st.session_state.get(f"{ID_KEY}::{n}") or "").strip(),
              "url": str(st.session_state.get(f"{URL_KEY}::{n}") or "").strip()} for n in rows]
    return [cam for cam in typed if cam["id"] or cam["url"]]


def _rows() -> list[int]:
    """The numbers of the camera rows on screen (each row's inputs are keyed by its number, so removing one row keeps
    what was typed in the others)."""
    if not st.session_state.get(ROWS_KEY):
        _reset_rows()
    return st.session_state[ROWS_KEY]


def _reset_rows() -> None:
    start = st.session_state.get(NEXT_KEY, 0)
    st.session_state[ROWS_KEY], st.session_state[NEXT_KEY] = [start], start + 1


def _add_row() -> None:
    n = st.session_state.get(NEXT_KEY, 0)
    st.session_state[ROWS_KEY] = [*_rows(), n]
    st.session_state[NEXT_KEY] = n + 1


def _remove_row(n: int) -> None:
    st.session_state[ROWS_KEY] = [r for r in _rows() if r != n]


def camera_inputs() -> list[dict[str, str]]:
    """One row of plain inputs per camera (typed into directly, no double-click), a remove button per row and one to
    add a row; returns the cameras typed so far."""
    rows = _rows()
    for index, n in enumerate(rows):
        ident, url, remove = st.columns([2, 6, 1], vertical_alignment="bottom")
        shown = index == 0  # labels once, above the first row
        ident.text_input(tr("app.cameras.col.id"), key=f"{ID_KEY}::{n}", max_chars=100, placeholder="gate-1",
                         help=tr("app.cameras.col.id_help"), label_visibility="visible" if shown else "collapsed")
        url.text_input(tr("app.cameras.col.url"), key=f"{URL_KEY}::{n}", placeholder="rtsp://",
                       help=tr("app.cameras.col.url_help"), label_visibility="visible" if shown else "collapsed")
        remove.button("✕", key=f"cameras_remove::{n}", help=tr("app.cameras.remove_row"), disabled=len(rows) == 1,
                      on_click=_remove_row, args=(n,))
    st.button(tr("app.cameras.add_row"), key="cameras_add", on_click=_add_row)
    return camera_rows(rows)


def _pipeline_label(entry: PipelineEntry) -> str:
    key = "app.run.pipeline_template" if entry.bundled else "app.run.pipeline_mine"
    return tr(key, title=entry.title, name=entry.name)


def _show_problems(problems: list) -> None:
    for p in problems:
        st.error(f"{p.where()}: {p.message(lang())}")


def start_form() -> None:
    entries = list_pipelines()
    if not entries:
        st.info(tr("app.cameras.no_pipelines"))
        return
    labels = {str(e.path): _pipeline_label(e) for e in entries}
    path = st.selectbox(tr("app.cameras.pipeline"), list(labels), key="cameras_pipeline",
                        format_func=labels.__getitem__)
    try:
        problems = errors_only(validate(load_spec(Path(path)), registry()))
    except PipelineInvalid as exc:
        problems = exc.problems
    if problems:
        st.warning(tr("app.cameras.pipeline_invalid"))
        _show_problems(problems)
        return
    st.markdown(f"**{tr('app.cameras.table')}**")
    cameras = camera_inputs()
    if st.button(tr("app.cameras.start_button"), type="primary", key="cameras_start"):
        if not cameras:
            st.error(tr("app.cameras.no_rows"))
            return
        try:
            serve_id = serve_jobs.start_serve(Path(path), cameras, actor=current_actor())
        except WorkbenchError as exc:
            st.markdown(f"**{tr('app.cameras.problems')}**")
            _show_problems(exc.problems)
            return
        _reset_rows()  # a fresh, empty row for the next group
        st.query_params[PARAM] = serve_id
        st.rerun()


# -- the list --------------------------------------------------------------------------------------------------------
def _state(status: serve_jobs.ServeStatus) -> str:
    return tr(f"app.cameras.state.{status.state}")


def serve_list() -> None:
    st.subheader(tr("app.cameras.serves"))
    serves = serve_jobs.list_serves()
    if not serves:
        st.caption(tr("app.cameras.no_serves"))
        return
    headers = [tr(f"app.cameras.col.{key}") for key in ("state", "pipeline", "cameras", "started", "kind")]
    rows = [JobRow(s.id, (_state(s), Path(s.pipeline).stem, ", ".join(c["id"] for c in s.cameras),
                          s.started.replace("T", " ")[:19], tr(f"app.cameras.kind.{s.kind}"))) for s in serves]
    past_jobs_table(headers, rows, [2, 3, 3, 2, 2, 1], PARAM, tr("app.cameras.open"), "cameras_open")


# -- one group -------------------------------------------------------------------------------------------------------
def serve_panel(serve_id: str) -> None:
    texts = JobTexts(unknown="app.cameras.unknown_serve", opened="app.cameras.opened", close="app.cameras.close")
    job_panel(serve_id, PARAM, serve_jobs.serve_status, texts, finished=_ended, live=_live)


def _ended(status: serve_jobs.ServeStatus) -> None:
    _show(status)
    if status.state == "crashed":
        st.warning(tr("app.cameras.crashed_hint"))
        _log(status.id)


@st.fragment(run_every=REFRESH_S)
def _live(serve_id: str) -> None:
    """Health and events, refreshed without rerunning the page; the whole page reruns once the group has ended."""
    status = serve_jobs.serve_status(serve_id)
    if not status.alive:
        st.rerun()
    _show(status)
    if status.state == "stopping":
        st.info(tr("app.cameras.stopping"))
    elif not status.local:
        st.caption(tr("app.cameras.other_host", host=_host(serve_id)))
    elif st.button(tr("app.cameras.stop"), key=f"cameras_stop::{serve_id}", type="primary"):
        with st.spinner(tr("app.cameras.stopping")):
            stopped = as_signed_in(serve_jobs.stop_serve, serve_id)
        if stopped is None:
            return  # refused: the reason is shown
        if not stopped:
            st.session_state["cameras_stop_failed"] = serve_id
        st.rerun()


def _show(status: serve_jobs.ServeStatus) -> None:
    st.caption(tr("app.cameras.state_line", state=_state(status), pipeline=Path(status.pipeline).stem,
                  started=status.started.replace("T", " ")[:19], out=status.out))
    if st.session_state.get("cameras_stop_failed") == status.id:
        st.warning(tr("app.cameras.stop_failed"))
    if status.reload_problems:
        st.warning(tr("app.cameras.reload_refused"))
        for line in status.reload_problems:
            st.error(line)
    health_table(status.health, status.not_reporting, status.events, key=f"serve_{status.id}")
    st.markdown(f"**{tr('app.cameras.events')}**")
    for h in status.health:
        with st.expander(tr("app.cameras.events_of", camera=h.camera, count=status.events.get(h.camera, 0))):
            events = serve_jobs.latest_events(status.id, h.camera, EVENTS_SHOWN)
            if events:
                table = events_table([Event.from_dict(e) for e in events], Path(status.out), lang(), max_thumbs=0)
                st.dataframe(table.drop(columns=["snapshot", "pts", "node"]), hide_index=True, width="stretch",
                             column_config=event_column_config(lang()))
            else:
                st.caption(tr("app.cameras.no_events"))


def _host(serve_id: str) -> str:
    from workbench.jobs.runs import read_json

    return str((read_json(serve_jobs.serve_dir(serve_id) / serve_jobs.INFO_FILE) or {}).get("host", "?"))


def _log(serve_id: str) -> None:
    log = serve_jobs.serve_dir(serve_id) / serve_jobs.LOG_FILE
    if log.is_file():
        with st.expander(tr("app.cameras.log")):
            st.code(log.read_bytes()[-LOG_TAIL_BYTES:].decode("utf-8", "replace"), language=None)
