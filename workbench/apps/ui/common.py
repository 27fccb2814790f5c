"""What every page shares: the language, the cached block registry and catalog, and translated text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from workbench.apps.ui.plain_text import plain_problem
from workbench.core.errors import Problem
from workbench.core.i18n import LANGUAGES, t
from workbench.core.registry import BlockRegistry, default_registry

DEFAULT_LANG = "zh"
LANG_PARAM = "lang"  # the address parameter that keeps the language over a refresh
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}


def lang() -> str:
    """The language picked in the sidebar (Chinese until the user switches)."""
    value = st.session_state.get("lang", DEFAULT_LANG)
    return value if value in LANGUAGES else DEFAULT_LANG


def tr(key: str, **params: Any) -> str:
    """`key` from the translation table in the page's language."""
    return t(key, lang(), **params)


def choose_hint(options: Sequence[Any]) -> str:
    """A list's placeholder in the page's language (Streamlit's own, "Choose options", is English only)."""
    return tr("app.common.choose" if len(options) else "app.common.nothing_to_choose")


def show_problems(problems: Sequence[Problem], where: bool = True) -> None:
    """Each problem in the page's language as an error (a warning when it is one), its parameters escaped so a
    name from a user or another district is shown as written (plain_text.plain_problem); `where`: with its place."""
    for problem in problems:
        (st.warning if problem.severity == "warning" else st.error)(plain_problem(problem, lang(), where=where))


def language_picker() -> None:
    """The sidebar language switch. The choice lives in session state under `lang` and in the address (`?lang=en`),
    so a browser refresh or a bookmark keeps it."""
    if "lang" not in st.session_state:
        wanted = st.query_params.get(LANG_PARAM)
        st.session_state["lang"] = wanted if wanted in LANGUAGES else DEFAULT_LANG
    st.sidebar.selectbox(t("app.language", lang()), LANGUAGES, key="lang", format_func=LANGUAGE_NAMES.__getitem__,
                         on_change=_keep_choices)
    if st.query_params.get(LANG_PARAM) != lang():
        st.query_params[LANG_PARAM] = lang()


def _keep_choices() -> None:
    """After a language switch, hand every choice back to its widget. Streamlit's browser side remembers a choice by
    its shown label; once the labels are translated it would show no choice (radio) or the old label (select box)
    while Python still has the value. Values set through session state are sent to the browser again."""
    for key in list(st.session_state.keys()):
        value = st.session_state[key]
        if key == "lang" or isinstance(value, bool) or not isinstance(value, (str, int, float, list, tuple)):
            continue  # buttons (bool) cannot be set; uploads, tables and page objects need not be
        if isinstance(value, (list, tuple)) and not all(isinstance(v, (str, int, float)) for v in value):
            continue
        try:
            st.session_state[key] = value
        except StreamlitAPIException:  # a widget whose value cannot be set (e.g. a download button)
            continue


@st.cache_resource
def registry() -> BlockRegistry:
    """Every installed block, loaded once per server process (never mutated)."""
    return default_registry()


@st.cache_resource
def catalog() -> list[dict[str, Any]]:
    """The registry's description of every block (palette, forms, catalog page)."""
    return registry().describe()
