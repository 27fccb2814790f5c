"""The sign-in page: the only page before someone signs in. With no account yet it creates the first admin from the
one-time token printed in the server's output (never a default password); afterwards it signs people in. Thin: the
checks, throttling and records are in workbench.records.sign_in, the session cookie in workbench.apps.ui.session."""

from __future__ import annotations

import streamlit as st

from workbench.apps.ui.common import lang, show_problems, tr
from workbench.apps.ui.session import NOTICE_KEY, remember
from workbench.core.errors import WorkbenchError
from workbench.core.i18n import t
from workbench.records.accounts import count_users
from workbench.records.database import database_url
from workbench.records.sign_in import claim_first_start, first_start_token, sign_in


def sign_in_page() -> None:
    st.title(tr("app.signin.title"))
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice is not None:
        st.info(notice.message(lang()))
    if count_users() == 0:
        _first_start()
    else:
        _sign_in_form()


def _sign_in_form() -> None:
    with st.form("sign_in_form"):
        name = st.text_input(tr("app.signin.name"), key="signin_name", max_chars=200)
        password = st.text_input(tr("app.signin.password"), type="password", key="signin_password")
        submitted = st.form_submit_button(tr("app.signin.submit"), type="primary")
    if submitted:
        _start(lambda: sign_in(name, password))


@st.cache_resource(show_spinner=False)
def announce_first_start_token(url: str) -> bool:
    """Print a one-time first-start token to the server's output, once per server process and database."""
    token = first_start_token()
    if token:
        print(t("signin.first_start_token", token=token), flush=True)  # the operator's terminal, never a page
    return bool(token)


def _first_start() -> None:
    announce_first_start_token(database_url())
    st.subheader(tr("app.signin.first_title"))
    st.caption(tr("app.signin.first_help"))
    with st.form("first_start_form"):
        token = st.text_input(tr("app.signin.token"), type="password", key="first_token")
        name = st.text_input(tr("app.signin.name"), key="first_name", max_chars=200)
        display = st.text_input(tr("app.signin.display_name"), key="first_display", max_chars=200)
        district = st.text_input(tr("app.signin.district"), key="first_district", max_chars=100,
                                 help=tr("app.signin.district_help"))
        password = st.text_input(tr("app.signin.new_password"), type="password", key="first_password")
        again = st.text_input(tr("app.signin.repeat_password"), type="password", key="first_again")
        submitted = st.form_submit_button(tr("app.signin.create_admin"), type="primary")
    if not submitted:
        return
    if password != again:
        st.error(tr("app.signin.passwords_differ"))
        return
    _start(lambda: claim_first_start(token.strip(), name, password, district=district, display_name=display))


def _start(open_session) -> None:
    """Open a session (sign-in or first admin) and go on to the app; refusals in the page's language."""
    try:
        session = open_session()
    except WorkbenchError as err:
        show_problems(err.problems, where=False)
        return
    remember(session)
    st.rerun()
