"""Open a page in Streamlit's AppTest the way a user arrives: signed in, a language chosen, maybe a job named in the
URL. (The router's sign-in gate itself: test_sign_in_page.py.)"""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest
from ui_support import TESTER_ACTOR, as_user

from workbench.records.roles import Actor

__all__ = ["as_user", "open_page"]


def open_page(script: Callable[[], None], lang: str = "en", timeout: float = 60, actor: Actor = TESTER_ACTOR,
              **query: str | None) -> AppTest:
    """`script` run once in `lang` for `actor`; `query` (e.g. run="20261207-...") set as the URL's query
    parameters."""
    at = as_user(AppTest.from_function(script, default_timeout=timeout), actor)
    at.session_state["lang"] = lang
    for key, value in query.items():
        if value:
            at.query_params[key] = value
    return at.run()
