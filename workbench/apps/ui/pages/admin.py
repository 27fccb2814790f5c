"""The Admin page (admins only): accounts — add, roles, disable/enable, password reset — and the audit trail —
filter, check its hash chain, export CSV. Thin: every call goes to workbench.records / workbench.features.accounts,
which check the signed-in admin's permissions themselves and record each change with who and when."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import streamlit as st

from workbench.apps.ui.common import choose_hint, lang, show_problems, tr
from workbench.apps.ui.session import current_actor
from workbench.core.errors import WorkbenchError
from workbench.core.i18n import t
from workbench.features.accounts.audit_export import write_csv
from workbench.records import audit
from workbench.records.accounts import User, add_user, list_users, reset_password, set_disabled, set_roles
from workbench.records.roles import ROLES, Actor, Permission, require

SHOWN_RECORDS = 500  # the newest records matching the filters; the CSV has them all
NOTICE_KEY = "admin_notice"  # what the last change did, shown after the page reran with the new accounts


def admin_page() -> None:
    st.title(tr("app.admin.title"))
    actor = current_actor()
    users_tab, audit_tab = st.tabs([tr("app.admin.tab.users"), tr("app.admin.tab.audit")])
    with users_tab:
        _attempt(lambda: _users(actor))
    with audit_tab:
        _attempt(lambda: _audit(actor))


def _attempt(action: Callable[[], object]) -> bool:
    """Run `action`; a refusal or bad input is shown in the page's language. True when it went through."""
    try:
        action()
    except WorkbenchError as err:
        show_problems(err.problems, where=False)
        return False
    return True


def _role_names(roles) -> str:
    return ("、" if lang() == "zh" else ", ").join(tr(f"role.{r}") for r in sorted(roles))


def _done(message: str) -> None:
    st.session_state[NOTICE_KEY] = message
    st.rerun()


def _users(actor: Actor) -> None:
    accounts = list_users(actor)
    if notice := st.session_state.pop(NOTICE_KEY, None):
        st.success(notice)
    st.dataframe([{tr("app.admin.col.name"): u.name, tr("app.admin.col.display"): u.display_name,
                   tr("app.admin.col.district"): u.district or tr("app.account.no_district"),
                   tr("app.admin.col.roles"): _role_names(u.roles),
                   tr("app.admin.col.state"): tr("app.admin.disabled" if u.disabled else "app.admin.active")}
                  for u in accounts], hide_index=True)
    left, right = st.columns(2)
    with left:
        _add_form(actor)
    with right:
        _change_form(actor, {u.name: u for u in accounts})


def _roles_picker(key: str, default: list[str]) -> list[str]:
    return st.multiselect(tr("app.admin.roles"), list(ROLES), default=default, key=key, placeholder=choose_hint(ROLES),
                          format_func=lambda r: tr(f"role.{r}"), help=tr("app.admin.roles_help"))


def _add_form(actor: Actor) -> None:
    st.subheader(tr("app.admin.add"))
    with st.form("admin_add_form", clear_on_submit=False):
        name = st.text_input(tr("app.signin.name"), key="admin_add_name", max_chars=200)
        display = st.text_input(tr("app.signin.display_name"), key="admin_add_display", max_chars=200)
        district = st.text_input(tr("app.signin.district"), key="admin_add_district", max_chars=100,
                                 help=tr("app.signin.district_help"))
        roles = _roles_picker("admin_add_roles", ["viewer"])
        password = st.text_input(tr("app.admin.first_password"), type="password", key="admin_add_password")
        submitted = st.form_submit_button(tr("app.admin.add_button"), type="primary")
    if submitted and _attempt(lambda: add_user(actor, name, password, roles, district, display)):
        _done(tr("app.admin.added", name=name.strip()))


def _change_form(actor: Actor, accounts: dict[str, User]) -> None:
    st.subheader(tr("app.admin.change"))
    name = st.selectbox(tr("app.admin.user"), list(accounts), key="admin_user", placeholder=choose_hint(accounts))
    if name is None:
        return
    user = accounts[name]
    roles = _roles_picker(f"admin_roles::{name}", sorted(user.roles))
    if st.button(tr("app.admin.save_roles"), key="admin_save_roles") and _attempt(
            lambda: set_roles(actor, name, roles)):
        _done(tr("app.admin.changed", name=name))
    toggle = "app.admin.enable" if user.disabled else "app.admin.disable"
    if st.button(tr(toggle), key="admin_toggle") and _attempt(lambda: set_disabled(actor, name, not user.disabled)):
        _done(tr("app.admin.changed", name=name))
    password = st.text_input(tr("app.admin.new_password"), type="password", key=f"admin_reset::{name}")
    if st.button(tr("app.admin.reset"), key="admin_reset") and _attempt(lambda: reset_password(actor, name, password)):
        _done(tr("app.admin.reset_done", name=name))


def _day_start(day: date | None) -> str | None:
    return datetime.combine(day, time()).isoformat() if day else None


def _audit(actor: Actor) -> None:
    require(actor, Permission.AUDIT_READ)
    cols = st.columns(4)
    since = cols[0].date_input(tr("app.admin.since"), value=None, key="audit_since", format="YYYY-MM-DD")
    until = cols[1].date_input(tr("app.admin.until"), value=None, key="audit_until", format="YYYY-MM-DD")
    who = cols[2].text_input(tr("app.admin.who"), key="audit_who").strip() or None
    action = cols[3].text_input(tr("app.admin.action"), key="audit_action", help=tr("app.admin.action_help")).strip()
    window = (_day_start(since), _day_start(until + timedelta(days=1)) if until else None)
    shown = list(audit.entries(*window, who, action or None))[-SHOWN_RECORDS:][::-1]
    st.caption(tr("app.admin.audit_shown", count=len(shown)))
    st.dataframe([{tr("app.admin.col.seq"): e.seq, tr("app.admin.col.at"): e.at, tr("app.admin.col.who"): e.actor,
                   tr("app.admin.col.action"): e.action, tr("app.admin.col.target"): e.target,
                   tr("app.admin.col.before"): e.before or "", tr("app.admin.col.after"): e.after or ""}
                  for e in shown], hide_index=True)
    def export() -> bytes:  # written when clicked, not on every render
        buffer = io.StringIO()
        write_csv(buffer, actor, *window, who, action or None)
        return buffer.getvalue().encode("utf-8-sig")

    st.download_button(tr("app.admin.export"), export, file_name="audit.csv", mime="text/csv", key="audit_export")
    if st.button(tr("app.admin.verify"), key="audit_verify"):
        checked, finding = audit.verify()
        if finding is None:
            seq, digest = audit.head()
            st.success(tr("app.admin.verified", count=checked, seq=seq, hash=digest[:16]))
        else:
            st.error(t(f"audit.finding.{finding.kind}", lang(), seq=finding.seq, other=finding.other,
                       previous=finding.seq - 1))
