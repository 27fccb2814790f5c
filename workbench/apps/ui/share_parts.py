"""Parts of the Share page that other pages use too: site adaptation after an import (and the Build page's banner),
the keys section, and how problems are shown."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from workbench.apps.ui import common
from workbench.apps.ui import share_view as view
from workbench.apps.ui.common import lang, tr
from workbench.apps.ui.session import current_actor
from workbench.core.errors import Problem, WorkbenchError
from workbench.engine.spec import load_spec
from workbench.features.sharing import keys

ENTRIES_KEY = "share_entries"  # the catalog as last read (reading an S3 registry takes one request per version)
EVAL_PIPELINE_KEY = "eval_pipeline"  # the Evaluate page's pipeline box: set to open it on the imported pipeline


def forget_entries() -> None:
    st.session_state.pop(ENTRIES_KEY, None)


# -- after an import: adapt to this site -------------------------------------------------------------------------------
def site_adaptation(pipeline: Path, card: str | None) -> None:
    """The imported pipeline's site settings to redraw, and the ways to do it (Build) and check it (Evaluate)."""
    st.markdown(f"**{tr('app.share.site_title')}**")
    spec = load_spec(pipeline)
    rows = view.site_pending_rows(spec)
    if rows:
        st.warning(tr("app.share.site_intro"))
        for node, fields in rows:  # from the imported pipeline: another district's text
            st.markdown(f"- **{view.as_plain_markdown(node)}**: {view.as_plain_markdown(', '.join(fields))}")
    else:
        st.success(tr("app.share.site_none"))
    pages = st.session_state.get("pages", {})
    cols = st.columns(2)
    if cols[0].button(tr("app.share.open_build"), key="share_open_build", disabled="build" not in pages):
        from workbench.apps.ui.draft import open_draft
        from workbench.apps.ui.library import PipelineEntry
        from workbench.apps.ui.pages.build import DRAFT_KEY

        st.session_state[DRAFT_KEY] = open_draft(PipelineEntry(pipeline.stem, pipeline, False, spec.meta.name))
        st.switch_page(pages["build"])
    if cols[1].button(tr("app.share.open_evaluate"), key="share_open_eval", disabled="evaluate" not in pages):
        st.session_state[EVAL_PIPELINE_KEY] = str(pipeline)
        st.switch_page(pages["evaluate"])
    if card:
        with st.expander(tr("app.share.model_card")):
            st.text(card)  # the publisher's Markdown shown as written: rendered, its images would be fetched


def site_pending_banner(draft) -> None:
    """For the Build page: a warning per node whose site settings still describe the publisher's camera."""
    from workbench.features.sharing.install import clear_site_pending, outward_values

    for node, fields in view.site_pending_rows(draft.spec, "outward_pending"):
        text, done = st.columns([5, 1])
        text.error(tr("app.share.outward_banner", node=node))
        text.code(outward_values(draft.spec, node, fields), language=None)  # another district's text: never Markdown
        if done.button(tr("app.share.outward_confirm"), key=f"outward_confirm::{node}"):
            draft.change(clear_site_pending(draft.spec, node, "outward_pending"))
            st.rerun()
    for node, fields in view.site_pending_rows(draft.spec):
        text, done = st.columns([5, 1])
        text.warning(view.plain_t("app.share.site_banner", lang(), node=node, fields=", ".join(fields)))
        if done.button(tr("app.share.site_done"), key=f"site_done::{node}"):
            draft.change(clear_site_pending(draft.spec, node))
            st.rerun()


# -- keys --------------------------------------------------------------------------------------------------------------
def keys_section(district: str) -> None:
    """This machine's signing keys, the keys it trusts (add, remove), and the public key to give to others."""
    try:
        own, trusted = view.own_key_rows(), view.trusted_key_rows()
    except WorkbenchError as exc:
        show_problems(exc.problems)
        return
    st.markdown(f"**{tr('app.share.own_keys')}**")
    st.dataframe(own, hide_index=True) if own else st.caption(tr("app.share.no_own_keys"))
    if district not in {k["district"] for k in own}:
        if st.button(tr("app.share.generate_key", district=district), key="share_keys_generate"):
            generate_key(district)
    else:
        st.caption(tr("app.share.public_key_hint", district=district))
        st.code(keys.export_public(district), language=None)
    st.markdown(f"**{tr('app.share.trusted_keys')}**")
    for row in trusted:
        cols = st.columns([2, 3, 1])
        cols[0].write(row["district"])
        cols[1].code(row["key_id"], language=None)
        if cols[2].button(tr("app.share.untrust"), key=f"share_untrust::{row['district']}::{row['key_id']}"):
            _change_keys(keys.untrust, row["key_id"], actor=current_actor())
    if not trusted:
        st.caption(tr("app.share.no_trusted_keys"))
    with st.form("share_trust_form", clear_on_submit=True):
        pem = st.text_area(tr("app.share.trust_pem"), key="share_trust_pem", help=tr("app.share.trust_pem_help"))
        other = st.text_input(tr("app.share.trust_district"), key="share_trust_district").strip()
        if st.form_submit_button(tr("app.share.trust_add")) and pem.strip() and other:
            _change_keys(keys.trust, pem.strip(), other, actor=current_actor())


def generate_key(district: str) -> None:
    _change_keys(keys.generate, district)


def _change_keys(action, *args, **kwargs) -> None:
    try:
        action(*args, **kwargs)
    except WorkbenchError as exc:
        show_problems(exc.problems)
        return
    forget_entries()  # trust verdicts change with the keys
    st.rerun()


def show_problems(problems: list[Problem]) -> None:
    common.show_problems(problems)  # parameters may be registry text: escaped for Markdown
