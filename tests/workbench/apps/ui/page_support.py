"""Open a page in Streamlit's AppTest the way a user arrives: a language chosen, maybe a job named in the URL."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest


def open_page(script: Callable[[], None], lang: str = "en", timeout: float = 60, **query: str | None) -> AppTest:
    """`script` run once in `lang`; `query` (e.g. run="20261207-...") set as the URL's query parameters."""
    at = AppTest.from_function(script, default_timeout=timeout)
    at.session_state["lang"] = lang
    for key, value in query.items():
        if value:
            at.query_params[key] = value
    return at.run()
