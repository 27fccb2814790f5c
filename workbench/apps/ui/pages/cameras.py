"""The Cameras page: run one pipeline on many live cameras (`workbench serve` in the background), watch each stream's
health, see the latest events, stop. The open camera group's id lives in the URL (`?serve=<id>`)."""

from __future__ import annotations

import streamlit as st

from workbench.apps.ui.cameras_view import PARAM, serve_list, serve_panel, start_form
from workbench.apps.ui.common import tr


def cameras_page() -> None:
    st.title(tr("app.cameras.title"))
    st.caption(tr("app.cameras.intro"))
    serve_id = st.query_params.get(PARAM)
    with st.expander(tr("app.cameras.new"), expanded=not serve_id):
        start_form()
    if serve_id:  # the health table is wide: the open group gets the whole width
        serve_panel(serve_id)
    st.divider()
    serve_list()
