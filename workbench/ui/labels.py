"""How settings are named to people: the translated label, help text and option names of a block's config fields.

Shared by the settings form (Build page) and the catalog (Blocks page), so a field reads the same on both.
"""

from __future__ import annotations

from typing import Any

from workbench.i18n import has, t


def _lookup(prefix: str, block_name: str, field: str, lang: str) -> str | None:
    for key in (f"{prefix}.{block_name}.{field}", f"{prefix}.{field}"):
        if has(key):
            return t(key, lang)
    return None


def field_label(block_name: str, field: str, lang: str) -> str:
    """`field.<block>.<field>`, else `field.<field>`, else the field name."""
    return _lookup("field", block_name, field, lang) or field


def field_help(block_name: str, field: str, description: str, lang: str) -> str:
    """`fielddesc.<block>.<field>`, else `fielddesc.<field>`, else the schema's (English) description."""
    return _lookup("fielddesc", block_name, field, lang) or description


def option_label(field: str, value: Any, lang: str) -> str:
    """An enum value as shown to people: `option.<field>.<value>`, else the value itself; None = "not set"."""
    if value is None:
        return t("app.forms.not_set", lang)
    key = f"option.{field}.{value}"
    return t(key, lang) if has(key) else str(value)
