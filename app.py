"""Streamlit entry: a router over thin pages (workbench/apps/ui/pages)."""

from __future__ import annotations

import streamlit as st

from workbench.apps.ui.common import tr
from workbench.apps.ui.pages import all_pages

st.set_page_config(page_title=tr("app.name"), page_icon="🎬", layout="wide")  # an emoji: no icon fetched
st.navigation(all_pages()).run()
