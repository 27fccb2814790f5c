"""The Blocks page: every registered block (plugins too) with its ports, settings and an example node."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from workbench.apps.ui import catalog as cat
from workbench.apps.ui.common import catalog, lang, registry
from workbench.core.i18n import t
from workbench.core.registry import BlockRegistry

SETTING_COLUMNS = ("label", "name", "type", "default", "allowed", "site", "description")


@st.cache_data
def _bundled_configs() -> cat.Bundled:
    return cat.bundled_configs()


def blocks_page() -> None:
    render_catalog(registry(), catalog())


def render_catalog(reg: BlockRegistry, blocks: list[dict[str, Any]]) -> None:
    """Search box, the matching blocks grouped by category, then the plugins that failed to load."""
    language = lang()
    st.title(t("app.blocks.title", language))
    st.caption(t("app.blocks.intro", language))
    query = st.text_input(t("app.blocks.search", language), key="blocks_query",
                          placeholder=t("app.blocks.search_placeholder", language)).strip()
    found = cat.search(blocks, query)
    st.caption(t("app.blocks.count", language, shown=len(found), total=len(blocks)))
    if not found:
        st.info(t("app.blocks.no_match", language, query=query))
    open_all = bool(query) and len(found) <= 3
    for category, members in cat.group_by_category(found).items():
        st.subheader(f"{cat.category_label(category, language)} ({len(members)})")
        for block in members:
            _block_card(block, reg, language, expanded=open_all)
    if reg.broken:
        st.subheader(t("app.blocks.broken", language))
        st.caption(t("app.blocks.broken_hint", language))
        for origin, detail in reg.broken.items():
            st.error(t("cli.broken_plugin", language, origin=origin, detail=detail))


def _block_card(block: dict[str, Any], reg: BlockRegistry, language: str, expanded: bool) -> None:
    with st.expander(f"{block['title'][language]} · `{block['type']}`", expanded=expanded):
        st.markdown(block["description"][language])
        st.caption(t("app.blocks.type_version", language, type=block["type"], version=block["version"],
                     module=block["module"]))
        if block["is_source"]:
            st.caption(t("app.blocks.source_block", language))
        for column, side in zip(st.columns(2), ("inputs", "outputs"), strict=True):
            chips = [cat.port_chip(port, language) for port in block[side]] or [t("app.blocks.ports.none", language)]
            column.markdown(f"**{t(f'app.blocks.ports.{side}', language)}**  \n" + "  \n".join(chips),
                            unsafe_allow_html=True)
        _settings(block, language)
        _example(block, reg, language)


def _settings(block: dict[str, Any], language: str) -> None:
    st.markdown(f"**{t('app.blocks.settings', language)}**")
    rows = cat.settings_rows(block, language)
    if not rows:
        st.caption(t("app.blocks.no_settings", language))
        return
    columns = [c for c in SETTING_COLUMNS if c != "label" or any(r["label"] != r["name"] for r in rows)]
    table = pd.DataFrame([{**r, "site": "✓" if r["site"] else ""} for r in rows], columns=columns)
    st.table(table.rename(columns={c: t(f"app.blocks.col.{c}", language) for c in columns}), hide_index=True)
    if block["site_fields"]:
        st.caption(t("app.blocks.site_note", language))


def _example(block: dict[str, Any], reg: BlockRegistry, language: str) -> None:
    node, origin = cat.example_node(block, _bundled_configs())
    st.markdown(f"**{t('app.blocks.example', language)}**")
    st.code(cat.example_yaml(node), language="yaml")
    if origin:
        st.caption(t("app.blocks.example_from", language, file=origin))
    problems = cat.example_problems(node, reg)
    if problems:
        st.warning(t("app.blocks.example_fill", language) + "\n\n"
                   + "\n".join(f"- `{p.where()}`: {p.message(language)}" for p in problems))
