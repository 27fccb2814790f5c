"""How things are named to people: the translated label, help text and option names of a block's config fields, and
the words for event types, directions and classes in tables.

Shared by the settings form (Build page) and the catalog (Blocks page), so a field reads the same on both.
"""

from __future__ import annotations

from typing import Any

from workbench.core.i18n import has, t


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


def event_type_name(event_type: str, lang: str) -> str:
    """The event type in words; a plugin's own type shows as it is."""
    key = f"app.run.event_type.{event_type}"
    return t(key, lang) if has(key) else event_type


def class_label(name: str, lang: str) -> str:
    """A class name in words (`class.<name>`: person 行人, vehicle 车辆...); a model's own class shows as it is."""
    key = f"class.{name}"
    return t(key, lang) if name and has(key) else name


def direction_name(direction: str, lang: str) -> str:
    key = f"app.run.direction.{direction}"
    return t(key, lang) if direction and has(key) else direction
