"""The sidebar's account part: who is signed in (name, district, roles), sign-out and a password change."""

from __future__ import annotations

import streamlit as st

from workbench.apps.ui.common import lang, show_problems, tr
from workbench.apps.ui.plain_text import as_plain_markdown
from workbench.apps.ui.session import TOKEN_KEY, end_session
from workbench.core.errors import WorkbenchError
from workbench.records.roles import Actor
from workbench.records.sign_in import change_password


def account_panel(actor: Actor) -> None:
    """Show the signed-in person in the sidebar with sign-out and a password change."""
    box = st.sidebar
    roles = ("、" if lang() == "zh" else ", ").join(tr(f"role.{r}") for r in sorted(actor.roles))
    district = as_plain_markdown(actor.district) if actor.district else tr("app.account.no_district")
    box.caption(tr("app.account.signed_in", name=as_plain_markdown(actor.name), district=district, roles=roles or "-"))
    if box.button(tr("app.account.sign_out"), key="account_sign_out"):
        end_session()
        st.rerun()
    with box.expander(tr("app.account.change_password")), st.form("account_password_form", clear_on_submit=True):
        old = st.text_input(tr("app.account.old_password"), type="password", key="account_old")
        new = st.text_input(tr("app.signin.new_password"), type="password", key="account_new")
        again = st.text_input(tr("app.signin.repeat_password"), type="password", key="account_again")
        if st.form_submit_button(tr("app.account.change")):
            _change(old, new, again)


def _change(old: str, new: str, again: str) -> None:
    if new != again:
        st.error(tr("app.signin.passwords_differ"))
        return
    try:
        change_password(st.session_state.get(TOKEN_KEY, ""), old, new)
    except WorkbenchError as err:
        show_problems(err.problems, where=False)
        return
    st.success(tr("app.account.password_changed"))
