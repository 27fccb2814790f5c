"""Who is signed in to the app: a session token kept in the Streamlit session and in a browser cookie (so a refresh
or a new tab stays signed in until the session expires), checked against the records database on every render.

The token is the one `workbench.records.sign_in` hands out; the database holds only its hash. The cookie is set and
cleared by a line of script on the next render (SameSite=Strict, Secure over https); sign-out ends the session in
the database too, so a copied cookie stops working at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import streamlit as st

from workbench.apps.ui.common import show_problems
from workbench.core.errors import Problem, WorkbenchError
from workbench.records.accounts import utcnow
from workbench.records.roles import Actor, Permission, require
from workbench.records.sign_in import Session, sign_out, validate_session

COOKIE = "workbench_session"
TOKEN_KEY = "session_token"
ACTOR_KEY = "session_actor"
COOKIE_KEY = "session_cookie_pending"  # (token or "", seconds to live) for the next render to write
NOTICE_KEY = "session_notice"  # why the user was signed out (expired, ended elsewhere), shown on the sign-in page


def signed_in_actor() -> Actor | None:
    """The signed-in person for this render, or None; a stale token is forgotten and the reason kept to show."""
    token = st.session_state.get(TOKEN_KEY) or _cookie()
    if not token:
        return None
    try:
        actor = validate_session(token)
    except WorkbenchError as err:
        st.session_state[NOTICE_KEY] = err.problems[0]
        _clear(cookie=bool(_cookie()))
        return None
    st.session_state[TOKEN_KEY] = token
    st.session_state[ACTOR_KEY] = actor
    return actor


def current_actor() -> Actor:
    """The signed-in person (pages run only after the router has signed someone in)."""
    actor = st.session_state.get(ACTOR_KEY)
    if actor is None:
        raise WorkbenchError([Problem("session_invalid")])
    return actor


def allowed(permission: Permission) -> bool:
    """Whether the signed-in person has `permission` (for showing a control; the action itself checks again)."""
    actor = st.session_state.get(ACTOR_KEY)
    return actor is not None and actor.may(permission)


def require_here(permission: Permission) -> Actor:
    """The signed-in person, when they have `permission`; else the translated refusal (a WorkbenchError)."""
    return require(current_actor(), permission)


def as_signed_in(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call `action(*args, actor=<signed-in person>, **kwargs)` (a button's callback); a refusal or bad input is
    shown in the page's language instead of a traceback. Returns what `action` returned, or None."""
    try:
        return action(*args, actor=current_actor(), **kwargs)
    except WorkbenchError as err:
        show_problems(err.problems, where=False)
        return None


def remember(session: Session) -> None:
    """Keep a new session: in this browser session now, in the cookie from the next render."""
    st.session_state[TOKEN_KEY] = session.token
    st.session_state[ACTOR_KEY] = session.actor
    st.session_state.pop(NOTICE_KEY, None)
    st.session_state[COOKIE_KEY] = (session.token, _seconds_until(session.expires_at))


def end_session() -> None:
    """Sign out: the session ends in the database and the cookie is cleared."""
    token = st.session_state.get(TOKEN_KEY)
    if token:
        sign_out(token)
    _clear(cookie=True)


def write_pending_cookie() -> None:
    """Write (or clear) the session cookie decided on the previous run; call once per render, early."""
    pending = st.session_state.pop(COOKIE_KEY, None)
    if pending is None:
        return
    token, seconds = pending
    secure = '+(location.protocol==="https:"?"; Secure":"")'
    st.html(f'<script>document.cookie="{COOKIE}={token}; Path=/; Max-Age={seconds}; SameSite=Strict"{secure};'
            "</script>", unsafe_allow_javascript=True, width="content")


def _cookie() -> str:
    """The session cookie the browser sent when this session's page loaded ("" when none)."""
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) else ""  # a test runner without a browser has no real cookies


def _clear(cookie: bool) -> None:
    for key in (TOKEN_KEY, ACTOR_KEY):
        st.session_state.pop(key, None)
    if cookie:
        st.session_state[COOKIE_KEY] = ("", 0)


def _seconds_until(moment: datetime) -> int:
    return max(1, math.floor((moment - utcnow()).total_seconds()))
