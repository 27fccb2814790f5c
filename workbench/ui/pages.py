"""Thin Streamlit pages over importable logic: the block catalog and the bundled pipelines."""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from workbench.i18n import LANGUAGES, t
from workbench.registry import default_registry
from workbench.spec import load_spec

PIPELINES_DIR = Path(__file__).resolve().parents[2] / "pipelines"


def _language() -> str:
    return st.sidebar.selectbox(t("app.language", "zh"), LANGUAGES, index=1, key="lang",
                                format_func=lambda code: {"en": "English", "zh": "中文"}[code])


@st.cache_resource
def _catalog() -> list[dict]:
    return default_registry().describe()


def blocks_page() -> None:
    lang = _language()
    st.title(t("app.blocks.title", lang))
    query = st.text_input(t("app.blocks.search", lang)).strip().lower()
    for block in _catalog():
        text = f"{block['type']} {block['title'][lang]} {block['description'][lang]}".lower()
        if query and query not in text:
            continue
        with st.expander(f"{block['title'][lang]} · `{block['type']}`"):
            st.write(block["description"][lang])
            ports = [{"port": p["name"], "kind": p["kind"], "side": t(f"app.blocks.{side}", lang)}
                     for side in ("inputs", "outputs") for p in block[side]]
            st.table(ports)
            st.code(json.dumps(block["config_schema"].get("properties", {}), ensure_ascii=False, indent=1), "json")


def pipelines_page() -> None:
    lang = _language()
    st.title(t("app.pipelines.title", lang))
    for path in sorted(PIPELINES_DIR.glob("*.yaml")):
        spec = load_spec(path)
        with st.expander(f"{spec.meta.name} · {path.name}"):
            st.write(spec.meta.description)
            st.code(spec.to_yaml(), "yaml")
            st.caption(t("app.pipelines.run_hint", lang, path=f"pipelines/{path.name}"))


def all_pages() -> list:
    lang = st.session_state.get("lang", "zh")
    return [st.Page(pipelines_page, title=t("app.pipelines.title", lang), url_path="pipelines", default=True),
            st.Page(blocks_page, title=t("app.blocks.title", lang), url_path="blocks")]
