"""The open background job of a page (a pipeline run, a training): found by the id in the URL, with a close button,
then either its finished view or its live view. Shared by the Run and Train pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from workbench.apps.ui.common import tr


@dataclass(frozen=True)
class JobTexts:
    """Translation keys of one page's job panel ({id} is the job id)."""

    unknown: str
    opened: str
    close: str


def job_panel(job_id: str, param: str, status_of: Callable[[str], Any], texts: JobTexts,
              finished: Callable[[Any], None], live: Callable[[str], None]) -> None:
    """Show job `job_id` (from query parameter `param`): unknown -> a warning; else finished or live view."""

    def close() -> None:
        st.query_params.pop(param, None)

    key = f"{param}_close"
    try:
        status = status_of(job_id)
    except KeyError:
        st.warning(tr(texts.unknown, id=job_id))
        st.button(tr(texts.close), key=key, on_click=close)
        return
    head, right = st.columns([5, 1])
    head.subheader(tr(texts.opened, id=job_id))
    right.button(tr(texts.close), key=key, on_click=close)
    if status.finished:
        finished(status)
    else:
        live(job_id)


def form_beside_job(new_form: Callable[[], None], param: str, status_of: Callable[[str], Any], texts: JobTexts,
                    finished: Callable[[Any], None], live: Callable[[str], None]) -> None:
    """A job page's top: the form that starts a job on the left; the job the URL names (`param`) on the right."""
    form, opened = st.columns([2, 3], gap="large")
    with form:
        new_form()
    with opened:
        job_id = st.query_params.get(param)
        if job_id:
            job_panel(job_id, param, status_of, texts, finished, live)


@dataclass(frozen=True)
class JobRow:
    """One past job in a table: its id (opened with the row's button) and the cells shown before the button."""

    id: str
    cells: tuple[str, ...]


def past_jobs_table(headers: list[str], rows: list[JobRow], widths: list[int], param: str, open_label: str,
                    key: str) -> None:
    """A table of past jobs (runs, trainings, camera groups), newest first, each row with a button (key
    `<key>::<id>`) that opens it by setting query parameter `param`. `headers` are already translated."""

    def open_job(job_id: str) -> None:
        st.query_params[param] = job_id

    for col, head in zip(st.columns(widths), headers, strict=False):
        col.markdown(f"**{head}**")
    for row in rows:
        cols = st.columns(widths)
        for col, cell in zip(cols, row.cells, strict=False):
            col.write(cell)
        cols[len(row.cells)].button(open_label, key=f"{key}::{row.id}", on_click=open_job, args=(row.id,))
