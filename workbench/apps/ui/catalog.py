"""The block catalog as the app shows it: grouping, search, settings tables and examples, from `registry.describe()`.

Pure functions over the registry's block descriptions (plain dicts), so the Blocks page stays thin and the palette of
the Build page can reuse grouping and search.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from workbench.apps.ui.canvas_model import KIND_COLORS, kind_label
from workbench.apps.ui.labels import field_help, field_label
from workbench.apps.ui.library import BUNDLED_DIR
from workbench.core.errors import PipelineInvalid, Problem
from workbench.core.i18n import LANGUAGES, has, t
from workbench.core.registry import BlockRegistry
from workbench.engine.spec import load_spec
from workbench.engine.validate import config_problems

CATEGORY_ORDER = ("sources", "detection", "filters", "tracking", "rules", "sinks")


# -- grouping and search ----------------------------------------------------------------------------------------------
def category_label(category: str, lang: str) -> str:
    """The translated category name; a plugin's own category shows as it is spelled."""
    key = f"app.blocks.category.{category}"
    return t(key, lang) if has(key) else category


def group_by_category(blocks: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Blocks by category, in pipeline order (sources ... sinks), then other categories (plugins) alphabetically."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for block in blocks:
        groups.setdefault(block["category"], []).append(block)
    rank = {name: i for i, name in enumerate(CATEGORY_ORDER)}
    return {cat: groups[cat] for cat in sorted(groups, key=lambda c: (rank.get(c, len(rank)), c))}


def matches(block: dict[str, Any], query: str) -> bool:
    """True when every word of `query` occurs in the block's type id, title or description, in any language."""
    texts = [block["type"], *(block["title"].get(lang, "") for lang in LANGUAGES),
             *(block["description"].get(lang, "") for lang in LANGUAGES)]
    haystack = " ".join(texts).casefold()
    return all(word in haystack for word in query.casefold().split())


def search(blocks: Iterable[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    return [b for b in blocks if matches(b, query)]


# -- ports ------------------------------------------------------------------------------------------------------------
def kind_color(kind: str) -> str:
    """The agreed colour of a port kind (shared with the canvas); grey for a kind this version does not know."""
    return KIND_COLORS.get(kind, "#888888")  # Kind is a str enum: "image" finds Kind.IMAGE


def port_chip(port: dict[str, Any], lang: str) -> str:
    """A port as HTML: its name and a chip in the colour of its kind, marked optional / many where it applies."""
    color = kind_color(port["kind"])
    notes = [t(f"app.blocks.port.{flag}", lang) for flag, on in
             (("optional", not port.get("required", True)), ("many", port.get("many", False))) if on]
    note = f" <small>({html.escape(', '.join(notes))})</small>" if notes else ""
    chip = (f'<span style="background:{color};color:white;border-radius:0.6em;padding:0.05em 0.55em;'
            f'font-size:0.85em" data-kind="{html.escape(port["kind"])}">{html.escape(kind_label(port["kind"], lang))}'
            "</span>")
    return f"<code>{html.escape(port['name'])}</code> {chip}{note}"


# -- settings ---------------------------------------------------------------------------------------------------------
def _not_null(prop: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The non-null alternative of an `anyOf: [X, null]` property, and whether null is allowed."""
    options = prop.get("anyOf")
    if not options:
        return prop, False
    real = [o for o in options if o.get("type") != "null"]
    return (real[0] if len(real) == 1 else prop), len(real) < len(options)


def _is_point(prop: dict[str, Any]) -> bool:
    items = prop.get("prefixItems") or []
    return prop.get("type") == "array" and len(items) == 2 and all(i.get("type") == "number" for i in items)


def type_label(prop: dict[str, Any], lang: str) -> str:
    """What a setting holds, in words: number, [x, y] point, list of points, choice, text..."""
    inner, nullable = _not_null(prop)
    label = _type_word(inner, lang)
    return t("app.blocks.type.nullable", lang, type=label) if nullable else label


def _type_word(prop: dict[str, Any], lang: str) -> str:
    kind = prop.get("type")
    if "enum" in prop:
        return t("app.blocks.type.choice", lang)
    if _is_point(prop):
        return t("app.blocks.type.point", lang)
    if kind == "array":
        items = prop.get("items", {})
        if _is_point(items):
            return t("app.blocks.type.points", lang)
        return t("app.blocks.type.list", lang, item=_type_word(items, lang) if items else "-")
    if kind == "string" and prop.get("format") == "date-time":
        return t("app.blocks.type.datetime", lang)
    if kind in ("integer", "number", "string", "boolean", "object"):
        return t(f"app.blocks.type.{kind}", lang)
    return kind or "-"


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _range(prop: dict[str, Any]) -> str:
    """`0 ≤ x ≤ 1`, `x > 0`... from the JSON-schema bounds; empty when unbounded."""
    low = (f"{_number(prop['minimum'])} ≤ " if "minimum" in prop
           else f"{_number(prop['exclusiveMinimum'])} < " if "exclusiveMinimum" in prop else "")
    high = (f" ≤ {_number(prop['maximum'])}" if "maximum" in prop
            else f" < {_number(prop['exclusiveMaximum'])}" if "exclusiveMaximum" in prop else "")
    return f"{low}x{high}" if low or high else ""


def allowed_text(prop: dict[str, Any], lang: str) -> str:
    """The allowed values of a setting in a few words: range, options, length, pattern, item count."""
    prop, _ = _not_null(prop)
    parts = []
    if "enum" in prop:
        parts.append(" | ".join(str(v) for v in prop["enum"]))
    if rng := _range(prop):
        parts.append(rng)
    if "multipleOf" in prop:
        parts.append(t("app.blocks.allowed.multiple_of", lang, step=_number(prop["multipleOf"])))
    if "minLength" in prop or "maxLength" in prop:
        parts.append(t("app.blocks.allowed.length", lang, min=prop.get("minLength", 0), max=prop.get("maxLength", "∞")))
    if "pattern" in prop:
        parts.append(t("app.blocks.allowed.pattern", lang, pattern=prop["pattern"]))
    if prop.get("type") == "array":
        items = prop.get("items", {})
        if "enum" in items:
            parts.append(t("app.blocks.allowed.any_of", lang, options=" | ".join(str(v) for v in items["enum"])))
        coordinates = {_range(i) for i in (items if _is_point(items) else prop).get("prefixItems", [])} - {""}
        if len(coordinates) == 1:
            parts.append(t("app.blocks.allowed.coordinates", lang, range=coordinates.pop()))
        if not _is_point(prop) and ("minItems" in prop or "maxItems" in prop):
            parts.append(t("app.blocks.allowed.items", lang, min=prop.get("minItems", 0),
                           max=prop.get("maxItems", "∞")))
    return "; ".join(parts)


def default_text(name: str, schema: dict[str, Any], lang: str) -> str:
    """The default as it would be written in YAML; 'required' when the setting has none and must be given."""
    prop = schema["properties"][name]
    if "default" in prop:
        value = prop["default"]
        return t("app.blocks.default.empty", lang) if value is None else json.dumps(value, ensure_ascii=False)
    if name in schema.get("required", []):
        return t("app.blocks.default.required", lang)
    return t("app.blocks.default.empty", lang)


def settings_rows(block: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """One row per setting of the block's config schema, for the settings table."""
    schema = block["config_schema"]
    site = set(block.get("site_fields", ()))
    return [{"name": name, "label": field_label(block["name"], name, lang), "type": type_label(prop, lang),
             "default": default_text(name, schema, lang), "allowed": allowed_text(prop, lang), "site": name in site,
             "description": field_help(block["name"], name, prop.get("description", ""), lang)}
            for name, prop in schema.get("properties", {}).items()]


# -- examples ---------------------------------------------------------------------------------------------------------
Bundled = dict[str, tuple[str, dict[str, Any]]]  # block type -> (pipeline file name, the node's settings there)


def bundled_configs(folder: Path = BUNDLED_DIR) -> Bundled:
    """For each block type used in a bundled pipeline: the first such file (by name) and the node's settings there."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            spec = load_spec(path)
        except PipelineInvalid:
            continue
        for node in spec.nodes:
            found.setdefault(node.type, (path.name, node.config))
    return found


def example_node(block: dict[str, Any], bundled: Bundled) -> tuple[dict[str, Any], str | None]:
    """A node for a pipeline file: every default, required and site settings taken from a bundled pipeline using the
    block when there is one, else left empty (null) for the user to fill in. Returns the node and that file's name."""
    schema = block["config_schema"]
    origin, used = bundled.get(block["type"], (None, {}))
    take = set(schema.get("required", [])) | set(block.get("site_fields", ()))
    config = {}
    for name, prop in schema.get("properties", {}).items():
        if name in used and name in take:
            config[name] = used[name]
        elif "default" in prop:
            config[name] = prop["default"]
        elif name in schema.get("required", []):
            config[name] = None
    node_id = block["type"].split("@", 1)[0].split("/")[-1]
    return {"id": node_id, "type": block["type"], "config": config}, origin if used.keys() & take else None


def example_yaml(node: dict[str, Any]) -> str:
    """The node as it is written under `nodes:` in a pipeline file."""
    return yaml.safe_dump([node], sort_keys=False, allow_unicode=True, default_flow_style=None, width=120)


def example_problems(node: dict[str, Any], registry: BlockRegistry) -> list[Problem]:
    """What `workbench validate` would say about the example's settings (empty for a ready-to-use example)."""
    block = registry.get(node["type"])
    return config_problems(node["id"], block, node["config"]) if block else []
