"""Stream health as a table (Cameras page, Run page): translated states on a coloured cell, fps in/out, lag, frames,
dropped, reconnects, last error; each camera's outages in an expander. Rows: `health_rows` (no Streamlit)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
import streamlit as st

from workbench.apps.ui.common import lang, tr
from workbench.core.i18n import has, t
from workbench.media.health import StreamHealth

# the state cell's background (emoji badges need an emoji font the table canvas may not have)
GOOD, WAITING, BAD, DONE, UNKNOWN = "#c3f0cb", "#ffec99", "#ffc9c9", "#e9ecef", "#f8f9fa"
TONES = {"connected": GOOD, "running": GOOD, "connecting": WAITING, "reconnecting": WAITING, "starting": WAITING,
         "restarting": WAITING, "gave_up": BAD, "error": BAD, "not_reporting": BAD, "ended": DONE, "eof": DONE,
         "stopped": DONE, "done": DONE, "stopped_early": DONE, "cancelled": DONE}
COLUMNS = ("camera", "state", "fps_in", "fps_out", "lag", "frames", "dropped", "reconnects", "restarts", "events",
           "last_error")


def state_text(state: str, language: str) -> str:
    """The state in the user's language; a state this version does not know keeps its raw name."""
    key = f"app.health.state.{state}"
    return t(key, language) if has(key) else state


def tone(state: str, stale: bool = False) -> str:
    """The state cell's colour: green running, yellow waiting, red failing or not reporting, grey ended or unknown."""
    return TONES["not_reporting"] if stale else TONES.get(state, UNKNOWN)


def health_rows(health: Iterable[StreamHealth], language: str, not_reporting: Iterable[str] = (),
                events: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """One row per camera, columns titled in `language`; a camera in `not_reporting` shows that (and its last state)."""
    stale = set(not_reporting)
    col = {k: t(f"app.health.col.{k}", language) for k in COLUMNS}
    rows = []
    for h in health:
        state = state_text(h.state, language)
        if h.camera in stale:
            state = t("app.health.not_reporting", language, state=state)
        row = {col["camera"]: h.camera or h.url, col["state"]: state, col["fps_in"]: round(h.fps_in, 1),
               col["fps_out"]: round(h.fps_out, 1), col["lag"]: round(h.lag_s, 2), col["frames"]: h.frames_out,
               col["dropped"]: h.dropped, col["reconnects"]: h.reconnects,
               col["restarts"]: getattr(h, "restarts", 0)}  # serve's restarts of a failed camera (newer serves)
        if events is not None:
            row[col["events"]] = events.get(h.camera, 0)
        rows.append({**row, col["last_error"]: h.last_error})
    return rows


def outage_rows(h: StreamHealth, language: str) -> list[dict[str, Any]]:
    still = t("app.health.still_down", language)
    return [{t("app.health.col.outage_start", language): o.start.replace("T", " ")[:23],
             t("app.health.col.outage_end", language): o.end.replace("T", " ")[:23] if o.end else still,
             t("app.health.col.outage_seconds", language): o.seconds} for o in h.outages]


def health_table(health: list[StreamHealth], not_reporting: Iterable[str] = (), events: dict[str, int] | None = None,
                 key: str = "health") -> None:
    """Draw the table, then one expander per camera that had outages."""
    language = lang()
    stale = set(not_reporting)
    frame = pd.DataFrame(health_rows(health, language, stale, events))
    if not frame.empty:
        colours = [f"background-color: {tone(h.state, h.camera in stale)}" for h in health]
        state_col = t("app.health.col.state", language)
        one, two = "{:.1f}", "{:.2f}"
        frame = frame.style.apply(lambda _: colours, subset=[state_col]).format({
            t("app.health.col.fps_in", language): one, t("app.health.col.fps_out", language): one,
            t("app.health.col.lag", language): two})
    st.dataframe(frame, hide_index=True, width="stretch", key=f"{key}_table")
    for h in health:
        if h.outages:
            with st.expander(tr("app.health.outages", camera=h.camera or h.url, count=len(h.outages))):
                st.dataframe(outage_rows(h, language), hide_index=True, width="stretch")
