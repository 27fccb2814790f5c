"""What every page shares: the language, the cached block registry and catalog, and translated text."""

from __future__ import annotations

from typing import Any

import streamlit as st

from workbench.i18n import LANGUAGES, t
from workbench.registry import BlockRegistry, default_registry

DEFAULT_LANG = "zh"
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}


def lang() -> str:
    """The language picked in the sidebar (Chinese until the user switches)."""
    value = st.session_state.get("lang", DEFAULT_LANG)
    return value if value in LANGUAGES else DEFAULT_LANG


def tr(key: str, **params: Any) -> str:
    """`key` from the translation table in the page's language."""
    return t(key, lang(), **params)


def language_picker() -> None:
    """The sidebar language switch; the choice lives in session state under `lang`."""
    st.session_state.setdefault("lang", DEFAULT_LANG)
    st.sidebar.selectbox(t("app.language", lang()), LANGUAGES, key="lang", format_func=LANGUAGE_NAMES.__getitem__)


@st.cache_resource
def registry() -> BlockRegistry:
    """Every installed block, loaded once per server process (never mutated)."""
    return default_registry()


@st.cache_resource
def catalog() -> list[dict[str, Any]]:
    """The registry's description of every block (palette, forms, catalog page)."""
    return registry().describe()
