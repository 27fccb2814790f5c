"""AppTest script: the settings form of the node in session_state["node"] (a NodeSpec dict) on session_state["frame"].

The form's result is kept in session_state["result"] for the test to read.
"""

import streamlit as st

from workbench.apps.ui.forms import settings_form
from workbench.core.registry import default_registry
from workbench.engine.spec import NodeSpec

node = NodeSpec.model_validate(st.session_state["node"])
block = default_registry().get(node.type)
st.session_state["result"] = settings_form(node, block, st.session_state.get("lang", "en"), "form.",
                                           st.session_state.get("frame"))
