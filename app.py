"""Streamlit entry: a router over thin pages. The canvas builder and run pages come with the app issue."""

from __future__ import annotations

import streamlit as st

from workbench.ui import pages

st.set_page_config(page_title="Video Workbench", layout="wide")
st.navigation(pages.all_pages()).run()
