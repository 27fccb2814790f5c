"""The Build page's palette: blocks grouped by category in pipeline order, filtered by a search in either language."""

from __future__ import annotations

from typing import Any

CATEGORY_ORDER = ("sources", "detection", "filters", "tracking", "rules", "sinks")


def search_text(block: dict[str, Any]) -> str:
    """What a search matches: the block's type id, titles and descriptions in every language, lower case."""
    return " ".join([block["type"], *block["title"].values(), *block["description"].values()]).lower()


def matches(block: dict[str, Any], query: str) -> bool:
    """True when every word of `query` appears in the block's `search_text` (the canvas' palette does the same)."""
    text = search_text(block)
    return all(word in text for word in query.lower().split())


def palette_view(catalog: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The palette the canvas shows (docs/canvas-protocol.md): groups in pipeline order, each block with its title,
    first description line and the words a search matches (type id, titles and descriptions in every language)."""
    from workbench.core.i18n import t

    return [{"category": category, "label": t(f"app.blocks.category.{category}", lang),
             "blocks": [{"type": b["type"], "title": b["title"][lang],
                         "description": b["description"][lang].split("\n")[0][:140],
                         "search": search_text(b)}
                        for b in blocks]}
            for category, blocks in palette_groups(catalog, lang)]


def palette_groups(catalog: list[dict[str, Any]], lang: str, query: str = "") -> list[tuple[str, list[dict]]]:
    """(category, blocks sorted by title) in source -> sink order; plugin categories follow in name order."""
    groups: dict[str, list[dict]] = {}
    for block in catalog:
        if matches(block, query):
            groups.setdefault(block["category"], []).append(block)
    order = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    return [(c, sorted(groups[c], key=lambda b: b["title"][lang]))
            for c in sorted(groups, key=lambda c: (order.get(c, len(order)), c))]
