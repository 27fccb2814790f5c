"""A tiny app around the pipeline canvas for the browser tests: a fixed 3-node view and the latest reply as JSON.

The "bump" button raises the view's revision, which must make the canvas drop its local edits and show the view again.
The "switch" button opens another draft (new draft id, revision back to 1, no `rule` node): the canvas must redraw
even though the revision is the one it already shows.
"""

from __future__ import annotations

import json

import streamlit as st

from workbench.apps.ui.canvas import pipeline_canvas
from workbench.core.i18n import t
from workbench.core.kinds import Kind, fits

LANG = "en"
COLORS = {"image": "#4c78a8", "detections": "#f58518", "tracks": "#54a24b", "events": "#e45756"}
TEXT_KEYS = ("refused", "taken", "missing", "delete", "duplicate", "empty", "problems")


def _view(draft: str, revision: int) -> dict:
    image_in = {"name": "image", "kind": "image", "required": True, "many": False, "missing": True}
    tracks_in = {"name": "tracks", "kind": "tracks", "required": True, "many": False, "missing": True}
    nodes = [
        {"id": "src", "type": "sources/video_file@v1", "title": "Video file", "category": "sources", "x": 0.0,
         "y": 60.0, "inputs": [], "outputs": [{"name": "image", "kind": "image"}], "problems": 0, "is_source": True},
        {"id": "det", "type": "detection/yolo@v1", "title": "YOLO detector", "category": "detection", "x": 320.0,
         "y": 0.0, "inputs": [image_in], "outputs": [{"name": "detections", "kind": "detections"}], "problems": 1,
         "is_source": False},
        {"id": "rule", "type": "rules/line_crossing@v1", "title": "Line crossing", "category": "rules", "x": 640.0,
         "y": 120.0, "inputs": [tracks_in], "outputs": [{"name": "events", "kind": "events"}], "problems": 1,
         "is_source": False},
    ]
    if draft != "first":
        nodes = nodes[:2]
    return {"draft": draft, "revision": revision, "nodes": nodes, "edges": [], "selected": None, "height": 480,
            "kinds": {k.value: {"color": COLORS[k.value], "label": t(f"kind.{k.value}", LANG)} for k in Kind},
            "fits": {out.value: [inp.value for inp in Kind if fits(out, inp)] for out in Kind},
            "text": {key: t(f"app.canvas.{key}", LANG) for key in TEXT_KEYS}}


st.session_state.setdefault("revision", 1)
st.session_state.setdefault("draft", "first")
if st.button("bump", key="bump"):
    st.session_state.revision += 1
if st.button("switch", key="switch"):
    st.session_state.draft, st.session_state.revision = "second", 1
reply = pipeline_canvas(_view(st.session_state.draft, st.session_state.revision), key="canvas")
st.code(json.dumps(reply, sort_keys=True), language="json")
st.json(reply or {}, expanded=False)
