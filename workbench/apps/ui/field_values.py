"""A node config field as a form widget: which widget a JSON-schema property gets (`field_specs`), and the exact
conversion between a config value and the widget's value both ways (`to_widget`, `from_widget`, `apply_value`).

Pure functions, no Streamlit: workbench.apps.ui.forms renders them. Values the user did not touch are kept exactly as
they are in the node's config, so an untouched form round-trips the config unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from workbench.apps.ui.geometry import infer_shapes, is_pair, is_point_list, unwrap_optional
from workbench.core.errors import Problem
from workbench.core.safe_yaml import YamlRefused, YamlSyntaxError, dump_yaml, load_yaml_text
from workbench.models import zoo

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()  # "leave the key out of the config"


@dataclass(frozen=True)
class FieldSpec:
    """How one config field is edited. `widget` is one of: integer, number, slider, select, toggle, text, datetime,
    multiselect (a list from fixed options), tags (a list of free strings), pair ([x, y]), points (list of [x, y]),
    model (model-zoo picker), yaml (anything else, edited as YAML text)."""

    name: str
    widget: str
    default: Any = MISSING
    min: float | None = None
    max: float | None = None
    options: tuple[Any, ...] = ()
    required: bool = False
    geometry: str | None = None  # the shape kind when the field is drawn on the frame
    nullable: bool = False
    step: float | None = None
    max_chars: int | None = None
    description: str = ""


class NotRepresentable(ValueError):
    """The config holds a value this field's widget cannot show (e.g. text in a number field)."""


class FormInputError(ValueError):
    """What the user typed cannot be read (bad YAML), or was refused (`problem`: anchors/aliases, too big)."""

    def __init__(self, detail: str, problem: Problem | None = None):
        super().__init__(detail)
        self.problem = problem


# -- schema -> field specs --------------------------------------------------------------------------------------------
def field_specs(schema: dict[str, Any], site_fields: tuple[str, ...] | list[str] = ()) -> list[FieldSpec]:
    """One FieldSpec per property of the config schema, in schema order."""
    geometry = {name: shape.kind for shape in infer_shapes(schema, site_fields) for name in shape.fields}
    required = set(schema.get("required", ()))
    properties = schema.get("properties", {})
    return [_spec(name, prop, name in required, geometry.get(name)) for name, prop in properties.items()]


def _bounds(s: dict[str, Any]) -> tuple[float | None, float | None]:
    low = s.get("minimum", s.get("exclusiveMinimum"))
    high = s.get("maximum", s.get("exclusiveMaximum"))
    return low, high


def _step(s: dict[str, Any], low: float | None, high: float | None) -> float:
    if "multipleOf" in s:
        return s["multipleOf"]
    if s.get("type") == "integer":
        return 1
    if low is not None and high is not None:
        span = high - low
        return 0.01 if span <= 1 else 0.1 if span <= 10 else 1.0
    return 0.1


def _spec(name: str, prop: dict[str, Any], required: bool, geometry: str | None) -> FieldSpec:
    s, nullable = unwrap_optional(prop)
    common = {"name": name, "default": prop.get("default", MISSING), "required": required, "geometry": geometry,
              "nullable": nullable, "description": prop.get("description", "")}
    has_default = "default" in prop
    kind = s.get("type")
    if "$ref" in s or "allOf" in s or "anyOf" in s:
        return FieldSpec(widget="yaml", **common)
    if name == "model" and s.get("pattern") == zoo.MODEL_ID_PATTERN:
        return FieldSpec(widget="model", **common)
    if "enum" in s:
        options = tuple(s["enum"])
        if nullable or not has_default:
            options = (None, *options)
        return FieldSpec(widget="select", options=options, **common)
    if kind == "boolean" and not nullable:
        return FieldSpec(widget="toggle", **common)
    if kind in ("integer", "number"):
        low, high = _bounds(s)
        slider = (kind == "number" and not nullable and has_default and low is not None and high is not None
                  and high - low <= 1)
        widget = "slider" if slider else kind
        return FieldSpec(widget=widget, min=low, max=high, step=_step(s, low, high), **common)
    if kind == "string":
        widget = "datetime" if s.get("format") == "date-time" else "text"
        return FieldSpec(widget=widget, max_chars=s.get("maxLength"), **common)
    if kind == "array":
        items = s.get("items") if isinstance(s.get("items"), dict) else {}
        if "enum" in items:
            return FieldSpec(widget="multiselect", options=tuple(items["enum"]), **common)
        if items.get("type") == "string":
            return FieldSpec(widget="tags", **common)
        if is_pair(s):
            low, high = _bounds(s["prefixItems"][0])
            return FieldSpec(widget="pair", min=low, max=high, **common)
        if is_point_list(s):
            low, high = _bounds(s["items"]["prefixItems"][0])
            return FieldSpec(widget="points", min=low, max=high, **common)
    return FieldSpec(widget="yaml", **common)



# -- config value <-> widget value ------------------------------------------------------------------------------------
def _number(value: Any, integer: bool) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NotRepresentable(value)
    if integer:
        if float(value) != int(value):
            raise NotRepresentable(value)
        return int(value)
    return float(value)


def _tidy(value: float | None) -> int | float | None:
    """3.0 -> 3 so the YAML stays as people write it."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def to_widget(spec: FieldSpec, value: Any) -> Any:
    """The widget's value for a config value (MISSING or None = not set); NotRepresentable if it cannot show it."""
    unset = value is MISSING or value is None
    if spec.widget == "yaml":
        return "" if value is MISSING else dump_yaml(plain_value(value), allow_unicode=True, sort_keys=False,
                                                     default_flow_style=None).strip()
    if spec.widget == "datetime" and isinstance(value, (datetime, date)):
        return value.isoformat()
    return _TO_WIDGET[spec.widget](spec, value, unset)


def _to_number(spec: FieldSpec, value: Any, unset: bool) -> Any:
    return None if unset else _number(value, spec.widget == "integer")


def _to_select(spec: FieldSpec, value: Any, unset: bool) -> Any:
    if (None if unset else value) not in spec.options:
        raise NotRepresentable(value)
    return None if unset else value


def _to_toggle(spec: FieldSpec, value: Any, unset: bool) -> bool:
    if not (unset or isinstance(value, bool)):
        raise NotRepresentable(value)
    return bool(value) if not unset else False


def _to_text(spec: FieldSpec, value: Any, unset: bool) -> str:
    if not (unset or isinstance(value, str)):
        raise NotRepresentable(value)
    return "" if unset else value


def _to_list(spec: FieldSpec, value: Any, unset: bool) -> list[str]:
    items = [] if unset else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
        raise NotRepresentable(value)
    if spec.widget == "multiselect" and not all(i in spec.options for i in items):
        raise NotRepresentable(value)
    return list(items)


def _to_pair(spec: FieldSpec, value: Any, unset: bool) -> tuple[float | None, float | None]:
    return (None, None) if unset else _pair(value)


def _to_points(spec: FieldSpec, value: Any, unset: bool) -> list[tuple[float | None, float | None]]:
    if unset:
        return []
    if not isinstance(value, (list, tuple)):
        raise NotRepresentable(value)
    return [_pair(p) for p in value]


_TO_WIDGET = {"integer": _to_number, "number": _to_number, "slider": _to_number, "select": _to_select,
              "toggle": _to_toggle, "text": _to_text, "model": _to_text, "datetime": _to_text,
              "multiselect": _to_list, "tags": _to_list, "pair": _to_pair, "points": _to_points}


def _pair(value: Any) -> tuple[float | None, float | None]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise NotRepresentable(value)
    return tuple(None if v is None else _number(v, False) for v in value)  # type: ignore[return-value]


def plain_value(value: Any) -> Any:
    """Tuples as lists, dates as text: what yaml.safe_dump writes plainly."""
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    return value


def from_widget(spec: FieldSpec, value: Any) -> Any:
    """The config value for a widget value; MISSING means "leave the key out". FormInputError for bad YAML."""
    w = spec.widget
    if w in ("integer", "number", "slider"):
        return (None if spec.nullable else MISSING) if value is None else _tidy(value)
    if w in ("text", "datetime", "model"):
        if value == "" and (spec.nullable or spec.default is MISSING):
            return None if spec.nullable else MISSING
        return value
    if w == "pair":
        return MISSING if all(v is None for v in value) else [_tidy(v) for v in value]
    if w == "points":
        rows = [[_tidy(x), _tidy(y)] for x, y in value if x is not None and y is not None]
        return rows if rows else (None if spec.nullable else MISSING)
    if w == "yaml":
        if not value.strip():
            return None if spec.nullable else MISSING
        try:
            return load_yaml_text(value, origin=spec.name)
        except YamlSyntaxError as exc:
            raise FormInputError(f"line {exc.line}, column {exc.column}: {exc.detail}") from None
        except YamlRefused as exc:
            raise FormInputError(exc.problems[0].message(), exc.problems[0]) from None
    return value


def apply_value(config: dict[str, Any], spec: FieldSpec, initial: Any, value: Any) -> dict[str, Any]:
    """`config` with the field set from the widget value; unchanged (the same object) when the widget was not touched.

    A value equal to the default is left out of the config rather than written.
    """
    if _same(value, initial):
        return config
    new_value = from_widget(spec, value)
    out = dict(config)
    if new_value is MISSING or (spec.default is not MISSING and _same(new_value, spec.default) and not spec.required):
        out.pop(spec.name, None)
    else:
        out[spec.name] = new_value
    return out


def _same(a: Any, b: Any) -> bool:
    return plain_value(a) == plain_value(b)
