"""The Clips page's local Label Studio: start it with one button, watch it start, see the web login, stop it.

Shown only when no server is configured (`LABEL_STUDIO_URL` unset): the workbench then runs its own Label Studio on
127.0.0.1 through workbench.features.labeling.launcher (the same `workbench labelstudio start` an administrator would
type).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import streamlit as st

from workbench.apps.ui.common import tr
from workbench.features.labeling import launcher, server
from workbench.features.labeling.client import ENV_URL

REFRESH_S = 3
STATE_KEY = "clips_ls_launcher_state"


def configured_elsewhere() -> bool:
    """An administrator pointed the workbench at a Label Studio server: nothing to start here."""
    return bool(os.environ.get(ENV_URL, "").strip())


def launcher_changed() -> bool:
    """True when the local Label Studio started, stopped or failed since the page last looked (so the connection is
    checked again)."""
    state = launcher.launcher_status().state
    before = st.session_state.get(STATE_KEY)
    st.session_state[STATE_KEY] = state
    return before is not None and before != state


def local_server_panel(recheck: Callable[[], None]) -> None:
    """Start / starting / running (login, stop) / failed, for the Label Studio on this machine."""
    status = launcher.launcher_status()
    if status.state == "starting":
        _starting()
        return
    if status.state == "running":
        _running(status.url, recheck)
        return
    if status.state == "failed":
        st.error(tr("app.clips.ls_start_failed", log=str(server.labelstudio_home() / "server.log")))
        with st.expander(tr("app.clips.ls_launcher_log")):
            st.code(status.log_tail, language=None)
    installed = server.label_studio_exe(server.default_venv()).exists()
    st.caption(tr("app.clips.ls_start_help" if installed else "app.clips.ls_start_help_install"))
    if st.button(tr("app.clips.ls_start"), key="clips_ls_start", type="primary"):
        launcher.start_in_background(venv=server.default_venv())
        recheck()
        st.rerun()


@st.fragment(run_every=REFRESH_S)
def _starting() -> None:
    """Polls the launcher; the whole page reruns (and connects) once Label Studio answers or the start failed."""
    if launcher.launcher_status().state != "starting":
        st.rerun()
    installed = server.label_studio_exe(server.default_venv()).exists()
    st.info(tr("app.clips.ls_starting" if installed else "app.clips.ls_installing"))


def _running(url: str, recheck: Callable[[], None]) -> None:
    credentials = server.labelstudio_home() / "credentials.json"
    with st.expander(tr("app.clips.ls_login")):
        st.markdown(tr("app.clips.ls_login_help", url=url))
        if credentials.is_file():
            login = json.loads(credentials.read_text(encoding="utf-8"))
            st.code(f"{login['username']}\n{login['password']}", language=None)
    if st.button(tr("app.clips.ls_stop"), key="clips_ls_stop"):
        with st.spinner(tr("app.clips.ls_stopping")):
            launcher.stop_local()
        recheck()
        st.rerun()
