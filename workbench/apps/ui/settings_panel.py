"""The Build page's right column: the selected node's name, settings form, geometry and its own problems."""

from __future__ import annotations

import streamlit as st

from workbench.apps.ui import editor
from workbench.apps.ui.common import lang, registry, tr
from workbench.apps.ui.draft import Draft
from workbench.apps.ui.plain_text import as_plain_markdown, plain_problem
from workbench.apps.ui.video_picker import video_picker
from workbench.core.errors import Problem
from workbench.engine.class_flow import reaching_classes

VIDEO_FILE_SOURCE = "sources/video_file@"
CANVAS_WIDTH = 720  # the frame that geometry is drawn on, in page pixels (the panel sits under the pipeline canvas)


def settings_panel(draft: Draft, problems: list[Problem]) -> None:
    st.subheader(tr("app.build.settings"))
    node = draft.spec.node(draft.selected) if draft.selected else None
    if node is None:
        st.caption(tr("app.build.select_hint"))
        return
    block = registry().get(node.type)
    st.markdown(f"**{block.title(lang()) if block else node.type}** · `{node.type}`")
    new_id = st.text_input(tr("app.build.node_id"), node.id, key=f"node_id_{node.id}")
    if new_id.strip() != node.id:
        _rename(draft, node.id, new_id.strip())
    left, right = st.columns(2)
    if left.button(tr("app.canvas.duplicate"), key=f"dup_{node.id}", use_container_width=True):
        spec, copy = editor.duplicate_node(draft.spec, node.id)
        draft.change(spec, selected=copy, keep_selection=False)
        st.rerun()
    if right.button(tr("app.canvas.delete"), key=f"del_{node.id}", use_container_width=True):
        draft.change(editor.delete_node(draft.spec, node.id), selected=None, keep_selection=False)
        st.rerun()
    for p in problems:
        if p.node == node.id:
            text = plain_problem(p, lang(), where=False)  # class names, paths...: the pipeline's text, escaped
            st.error(f"{as_plain_markdown(p.field)}: {text}" if p.field else text, icon=":material/error:")
    if block is None:
        return
    from workbench.apps.ui.forms import settings_form
    from workbench.apps.ui.frames import preview_frame

    if node.type.startswith(VIDEO_FILE_SOURCE):
        _video_choice(draft, node.id, str(node.config.get("path") or ""))
    frame = preview_frame(draft.spec, registry()) if block.site_fields else None
    arriving = reaching_classes(draft.spec, registry()).get(node.id)
    config = settings_form(node, block, lang(), key_prefix=f"cfg_{node.id}_", frame=frame, canvas_width=CANVAS_WIDTH,
                           arriving=arriving)
    if config is not None and config != node.config:
        draft.change(editor.set_config(draft.spec, node.id, config))
        st.rerun()


def _video_choice(draft: Draft, node_id: str, current: str) -> None:
    """Pick the source's video (demo, library, upload, footage folders) instead of typing a server path."""
    with st.container(border=True):
        st.markdown(f"**{tr('app.build.video_choice')}**")
        if current:
            st.caption(tr("app.build.video_current", path=current))
        chosen = video_picker(f"pick_{node_id}")
        if st.button(tr("app.build.video_use"), key=f"pick_{node_id}_use", type="primary",
                     disabled=chosen is None or str(chosen) == current):
            draft.change(editor.set_config(draft.spec, node_id, {**draft.spec.node(node_id).config,
                                                                 "path": str(chosen)}))
            st.rerun()


def _rename(draft: Draft, old: str, new: str) -> None:
    try:
        spec = editor.rename_node(draft.spec, old, new)
    except editor.EditRefused as exc:
        st.error(exc.problems[0].message(lang()))
        return
    draft.change(spec, selected=new, keep_selection=False)
    st.rerun()
