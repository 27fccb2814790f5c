"""Build page: the canvas (with its palette), node settings and the problems panel. Logic lives in draft/editor/
canvas_model."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import streamlit as st

from workbench.apps.ui import autosave, library, templates
from workbench.apps.ui.canvas_model import canvas_view
from workbench.apps.ui.common import catalog, lang, registry, tr
from workbench.apps.ui.draft import Draft, new_draft, open_draft
from workbench.apps.ui.palette import palette_view
from workbench.apps.ui.plain_text import as_plain_markdown, plain_problem
from workbench.apps.ui.session import current_actor
from workbench.apps.ui.settings_panel import settings_panel
from workbench.apps.ui.share_parts import site_pending_banner
from workbench.core.errors import PipelineInvalid, Problem, WorkbenchError
from workbench.engine.spec import PipelineSpec, spec_from_upload, spec_from_yaml
from workbench.engine.validate import validate

DRAFT_KEY = "draft"
OFFER_KEY = "autosave_offer"  # unsaved work of an earlier session, offered back until restored or discarded


def current_draft() -> Draft:
    if DRAFT_KEY not in st.session_state:
        st.session_state[DRAFT_KEY] = new_draft()
        st.session_state[OFFER_KEY] = autosave.find()
    return st.session_state[DRAFT_KEY]


def build_page() -> None:
    draft = current_draft()
    st.title(tr("app.build.title"))
    restore_offer()
    file_bar(draft)
    if not draft.spec.nodes and not draft.name:
        start_cards()
    site_pending_banner(draft)  # an imported algorithm: site settings to redraw for this camera
    problems = validate(draft.spec, registry())
    canvas(draft, problems)
    problems_panel(draft, problems)
    settings_panel(draft, problems)
    if st.session_state.get(OFFER_KEY) is None:  # never overwrite work that is still being offered back
        autosave.keep(draft)


def restore_offer() -> None:
    """"You have unsaved work from <time>": restore it, or discard it."""
    offer: autosave.Autosaved | None = st.session_state.get(OFFER_KEY)
    if offer is None:
        return
    with st.container(border=True):
        name = offer.draft.name or offer.draft.template or offer.draft.spec.meta.name
        st.warning(tr("app.build.autosave_found", name=as_plain_markdown(name), time=local_time(offer.saved_at),
                      nodes=len(offer.draft.spec.nodes)), icon=":material/history:")
        restore, drop, _ = st.columns([1, 1, 4])
        if restore.button(tr("app.build.autosave_restore"), key="autosave_restore", type="primary"):
            st.session_state[OFFER_KEY] = None
            _replace_draft(offer.draft)
        if drop.button(tr("app.build.autosave_discard"), key="autosave_discard"):
            autosave.discard()
            st.session_state[OFFER_KEY] = None
            st.rerun()


def local_time(iso: str) -> str:
    """An ISO time as this server's local time, to the minute ("" stays "")."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def file_bar(draft: Draft) -> None:
    """New / open / save / save as / duplicate / upload / download / run."""
    header = st.empty()  # filled after the buttons: a save in this run shows as saved at once
    entries = library.list_pipelines()
    cols = st.columns([2.2, 1, 1, 1, 1.6, 1, 1, 1])
    by_label = {tr("app.build.template" if e.bundled else "app.build.mine") + f" {e.name}": e for e in entries}
    chosen = cols[0].selectbox(tr("app.build.open_label"), list(by_label), label_visibility="collapsed",
                               key="open_choice", index=None, placeholder=tr("app.build.open_placeholder"))
    if cols[1].button(tr("app.build.open"), key="open", disabled=chosen is None, use_container_width=True):
        _replace_draft(open_draft(by_label[chosen]))
    if cols[2].button(tr("app.build.new"), key="new", use_container_width=True):
        _replace_draft(new_draft())
    if cols[3].button(tr("app.build.save"), key="save", type="primary", use_container_width=True):
        _save(draft, draft.name or library.free_name(draft.template or draft.spec.meta.name), overwrite=True)
    save_as = cols[4].text_input(tr("app.build.save_as_name"), key="save_as_name", label_visibility="collapsed",
                                 placeholder=tr("app.build.save_as_name"))
    if cols[5].button(tr("app.build.save_as"), key="save_as", use_container_width=True, disabled=not save_as):
        _save(draft, save_as, overwrite=False)
    if cols[6].button(tr("app.build.duplicate"), key="duplicate", use_container_width=True):
        _save(draft, library.free_name(f"{draft.name or draft.spec.meta.name}_copy"), overwrite=False)
    if cols[7].button(tr("app.build.run"), key="run", use_container_width=True):
        path = _save(draft, draft.name or library.free_name(draft.template or draft.spec.meta.name), overwrite=True)
        if path:
            st.session_state["run_pipeline_path"] = str(path)
            st.switch_page(st.session_state["pages"]["run"])
    status = tr("app.build.unsaved") if draft.dirty else tr("app.build.saved")
    if not draft.spec.nodes and not draft.name:  # a new, empty canvas: nothing saved or unsaved yet
        status = tr("app.build.empty")
    header.caption(f"**{as_plain_markdown(draft.name or tr('app.build.untitled'))}** · "
                   f"{as_plain_markdown(draft.spec.meta.name)} · {status}")  # an imported pipeline names itself
    with st.expander(tr("app.build.yaml")):
        yaml_box(draft)


def _replace_draft(draft: Draft) -> None:
    st.session_state[DRAFT_KEY] = draft
    st.rerun()


def _save(draft: Draft, name: str, overwrite: bool):
    if library.check_file_name(name) is None and (overwrite or not library.path_for(name).exists()):
        draft.follow_file_name(name)
    try:
        path = library.save_pipeline(draft.spec, name, overwrite=overwrite, actor=current_actor())
    except WorkbenchError as exc:  # an invalid pipeline, a bad name, or a user who may not save
        for p in exc.problems:
            st.error(plain_problem(p, lang(), where=False))
        return None
    draft.mark_saved(name.strip())
    if st.session_state.get(OFFER_KEY) is None:
        autosave.keep(draft)  # saved: nothing left to restore (also when the page switches to Run right away)
    st.toast(tr("app.build.saved_to", path=str(path)))
    return path


def yaml_box(draft: Draft) -> None:
    """The spec as the CLI reads it; an applied edit or an uploaded file replaces the canvas (checked first)."""
    with st.form(f"yaml_form_{draft.id}_{draft.revision}", border=False):
        text = st.text_area(tr("app.build.yaml"), draft.spec.to_yaml(), height=260, label_visibility="collapsed")
        applied = st.form_submit_button(tr("app.build.apply_yaml"))
    upload = st.file_uploader(tr("app.build.upload"), type=["yaml", "yml"], key="upload_yaml")
    st.download_button(tr("app.build.download"), draft.spec.to_yaml().encode("utf-8"),
                       file_name=f"{draft.name or draft.spec.meta.name}.yaml", mime="application/x-yaml")
    if upload and st.session_state.get("uploaded_once") != upload.file_id:
        st.session_state["uploaded_once"] = upload.file_id
        _replace_spec(draft, lambda: spec_from_upload(upload.getvalue(), upload.name))  # size cap before decoding
    elif applied and text != draft.spec.to_yaml():
        _replace_spec(draft, lambda: spec_from_yaml(text, origin="YAML"))


def _replace_spec(draft: Draft, read: Callable[[], PipelineSpec]) -> None:
    try:
        spec = read()
    except PipelineInvalid as exc:
        for p in exc.problems:  # an uploaded file's text: escaped, never drawn as Markdown
            st.error(plain_problem(p, lang()))
        return
    draft.change(spec)
    st.rerun()


def canvas(draft: Draft, problems: list[Problem]) -> None:
    from workbench.apps.ui.canvas import pipeline_canvas

    view = canvas_view(draft.spec, registry(), lang(), problems, draft.revision, draft.selected, draft=draft.id,
                       palette=palette_view(catalog(), lang()))
    reply = pipeline_canvas(view, key="canvas")
    if draft.take_reply(reply, registry()):
        st.rerun()
    for problem in draft.notices:
        st.error(plain_problem(problem, lang(), where=False), icon=":material/block:")


def start_cards() -> None:
    """What to do first: the bundled templates as cards (name, sentence, picture), each opened with one click."""
    st.subheader(tr("app.build.start"))
    st.caption(tr("app.build.start_hint"))
    bundled = [e for e in library.list_pipelines() if e.bundled]
    for row in range(0, len(bundled), 3):
        for column, entry in zip(st.columns(3), bundled[row:row + 3], strict=False):
            card = templates.card(entry, lang())
            with column.container(border=True):
                picture = templates.preview(entry, registry())
                if picture is not None:
                    st.image(str(picture), width="stretch")
                st.markdown(f"**{card.title}**")
                st.caption(card.description)
                if st.button(tr("app.build.start_open"), key=f"start_{entry.name}", use_container_width=True):
                    _replace_draft(open_draft(entry))


def problems_panel(draft: Draft, problems: list[Problem]) -> None:
    """Every validation problem of the whole graph, as `workbench validate` prints them; a click selects the node.
    An empty canvas has nothing wrong yet: no panel."""
    if not draft.spec.nodes:
        return
    errors = [p for p in problems if p.severity == "error"]
    title = tr("app.build.problems", n=len(errors)) if errors else tr("app.build.no_problems")
    with st.expander(title, expanded=bool(errors)):
        for i, p in enumerate(problems):
            icon = ":material/error:" if p.severity == "error" else ":material/warning:"
            label = plain_problem(p, lang())  # class names, paths...: the pipeline's (maybe imported) text
            if st.button(label, key=f"problem_{i}", disabled=not p.node or draft.spec.node(p.node) is None,
                         use_container_width=True, icon=icon):
                draft.select(p.node)
                st.rerun()
