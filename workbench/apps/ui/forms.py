"""The settings form of a node, generated from its block's config JSON schema.

`field_specs()` turns the schema into a list of `FieldSpec` (which widget, bounds, options, default); `settings_form()`
renders them with Streamlit and returns the new config only when the user changed something. Values the user did not
touch are kept exactly as they are in the node's config, so an untouched form round-trips the config unchanged.
Geometry fields (`block.site_fields`) are drawn on a frame (workbench.apps.ui.geometry), with a number editor beside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

import numpy as np

from workbench.apps.ui.geometry import (
    MAX_CANVAS_WIDTH,
    digest,
    draw_shape,
    infer_shapes,
    is_pair,
    is_point_list,
    unwrap_optional,
)
from workbench.apps.ui.labels import field_help, field_label, option_label
from workbench.apps.ui.plain_text import as_plain_markdown
from workbench.core.block import Block
from workbench.core.errors import BlockError, Problem
from workbench.core.i18n import t
from workbench.core.safe_yaml import YamlRefused, YamlSyntaxError, dump_yaml, load_yaml_text
from workbench.engine.spec import NodeSpec
from workbench.models import zoo

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()  # "leave the key out of the config"
CUSTOM_MODEL = ""  # the model picker's "another model id" entry (never a valid model id)
CLASS_FIELDS = ("classes", "include", "exclude")


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
    w = spec.widget
    if w in ("integer", "number", "slider"):
        return None if unset else _number(value, w == "integer")
    if w == "select":
        if (None if unset else value) not in spec.options:
            raise NotRepresentable(value)
        return None if unset else value
    if w == "toggle":
        if not (unset or isinstance(value, bool)):
            raise NotRepresentable(value)
        return bool(value) if not unset else False
    if w in ("text", "model"):
        if not (unset or isinstance(value, str)):
            raise NotRepresentable(value)
        return "" if unset else value
    if w == "datetime":
        if isinstance(value, (datetime, date)):
            return value.isoformat()
        return to_widget(FieldSpec(spec.name, "text"), value)
    if w in ("multiselect", "tags"):
        items = [] if unset else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
            raise NotRepresentable(value)
        if w == "multiselect" and not all(i in spec.options for i in items):
            raise NotRepresentable(value)
        return list(items)
    if w == "pair":
        return (None, None) if unset else _pair(value)
    if w == "points":
        if unset:
            return []
        if not isinstance(value, (list, tuple)):
            raise NotRepresentable(value)
        return [_pair(p) for p in value]
    return "" if value is MISSING else dump_yaml(_plain(value), allow_unicode=True, sort_keys=False,
                                                 default_flow_style=None).strip()


def _pair(value: Any) -> tuple[float | None, float | None]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise NotRepresentable(value)
    return tuple(None if v is None else _number(v, False) for v in value)  # type: ignore[return-value]


def _plain(value: Any) -> Any:
    """Tuples as lists, dates as text: what yaml.safe_dump writes plainly."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
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
    return _plain(a) == _plain(b)


# -- model zoo --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelChoice:
    id: str
    present: bool  # weights are on this machine (not checked against the sha256 here: that happens at load)
    description: str
    classes: tuple[str, ...]


def model_choices() -> list[ModelChoice]:
    """The model zoo's models with whether their weights are here. A broken manifest raises BlockError."""
    return [ModelChoice(m.id, m.weights_path().is_file() or m.cache_path().is_file(), m.description, tuple(m.classes))
            for m in zoo.list_models()]


def model_label(choice: ModelChoice | None, lang: str) -> str:
    if choice is None:
        return t("app.forms.model_custom", lang)
    status = t("app.forms.weights_present" if choice.present else "app.forms.weights_missing", lang)
    return f"{choice.id} · {status}"


def class_suggestions(choices: list[ModelChoice], model_id: str | None) -> list[str]:
    """Class names to offer: the chosen model's, else every zoo model's."""
    chosen = [c for c in choices if c.id == model_id]
    names = [n for c in (chosen or choices) for n in c.classes]
    return list(dict.fromkeys(names))


# -- Streamlit --------------------------------------------------------------------------------------------------------
def settings_form(node: NodeSpec, block: type[Block], lang: str, key_prefix: str, frame: np.ndarray | None,
                  canvas_width: int = MAX_CANVAS_WIDTH,
                  arriving: frozenset[str] | None = None) -> dict[str, Any] | None:
    """Render the node's settings; the new config dict when the user changed something, else None.

    `frame` (RGB) is the picture geometry is drawn on; without it geometry is typed as numbers. The caller validates
    the result (workbench.engine.validate.config_problems) and stores it in the spec. `canvas_width`: the widest the
    frame
    is shown, in CSS pixels; keep it within the column the form is in (a wider canvas is cut off). `arriving`: the
    class names that can reach this node (workbench.engine.class_flow); class fields then offer only those.
    """
    import streamlit as st

    schema = block.Config.model_json_schema()
    specs = {s.name: s for s in field_specs(schema, block.site_fields)}
    shapes = infer_shapes(schema, block.site_fields)
    config = dict(node.config)
    form = _Form(config=config, new=dict(config), block_name=block.name(), lang=lang, base=f"{key_prefix}{node.id}",
                 arriving=arriving)
    drawn: dict[str, Any] = {}
    for shape in shapes:
        with st.container(border=True):
            st.markdown(f"**{' / '.join(field_label(form.block_name, f, lang) for f in shape.fields)}**")
            if frame is None:
                st.caption(t("app.forms.no_frame", lang))
            else:
                key = f"{form.base}.draw.{'.'.join(shape.fields)}"
                drawn.update(draw_shape(shape, config, frame, key, lang, canvas_width) or {})
            with st.expander(t("app.forms.numbers", lang), expanded=frame is None):
                for name in shape.fields:
                    form.field(specs[name])
    for spec in specs.values():
        if spec.geometry is None:
            form.field(spec)
    new = {**form.new, **drawn}
    return new if new != config else None


@dataclass
class _Form:
    config: dict[str, Any]
    new: dict[str, Any]
    block_name: str
    lang: str
    base: str
    model: str | None = None
    arriving: frozenset[str] | None = None  # classes that can reach the node, where known

    def field(self, spec: FieldSpec) -> None:
        import streamlit as st

        raw = self.config.get(spec.name, spec.default)
        try:
            initial = to_widget(spec, raw)
        except NotRepresentable:
            spec = FieldSpec(spec.name, "yaml", spec.default, required=spec.required, nullable=spec.nullable,
                             description=spec.description)
            initial = to_widget(spec, raw)
        label = field_label(self.block_name, spec.name, self.lang)
        help_text = field_help(self.block_name, spec.name, spec.description, self.lang) or None
        key = f"{self.base}.{spec.name}.{digest(_plain(raw) if raw is not MISSING else None)[:8]}"
        value = _WIDGETS[spec.widget](self, spec, initial, label, help_text, key)
        if spec.widget == "model":
            self.model = value
        try:
            self.new = apply_value(self.new, spec, initial, value)
        except FormInputError as exc:
            st.error(exc.problem.message(self.lang) if exc.problem
                     else t("app.forms.yaml_error", self.lang, detail=exc))

    # one renderer per widget kind: (spec, initial widget value, label, help, key) -> widget value
    def _number(self, spec: FieldSpec, initial: Any, label: str, help_text: str | None, key: str) -> Any:
        import streamlit as st

        integer = spec.widget == "integer"
        cast = int if integer else float
        low, high = _usable_bounds(spec, initial, cast)
        return st.number_input(label, min_value=low, max_value=high, value=initial, step=cast(spec.step or 1),
                               format="%d" if integer else "%g", help=help_text, key=key,
                               placeholder=t("app.forms.not_set", self.lang))

    def _slider(self, spec: FieldSpec, initial: Any, label: str, help_text: str | None, key: str) -> Any:
        import streamlit as st

        if not (spec.min <= initial <= spec.max):  # type: ignore[operator]
            return self._number(FieldSpec(spec.name, "number", step=spec.step), initial, label, help_text, key)
        return st.slider(label, min_value=float(spec.min), max_value=float(spec.max),  # type: ignore[arg-type]
                         value=initial, step=float(spec.step or 0.01), help=help_text, key=key)

    def _select(self, spec: FieldSpec, initial: Any, label: str, help_text: str | None, key: str) -> Any:
        import streamlit as st

        return st.selectbox(label, spec.options, index=spec.options.index(initial), help=help_text, key=key,
                            format_func=partial(option_label, spec.name, lang=self.lang))

    def _toggle(self, spec: FieldSpec, initial: Any, label: str, help_text: str | None, key: str) -> Any:
        import streamlit as st

        return st.toggle(label, value=initial, help=help_text, key=key)

    def _text(self, spec: FieldSpec, initial: Any, label: str, help_text: str | None, key: str) -> Any:
        import streamlit as st

        limit = spec.max_chars if spec.max_chars and len(initial) <= spec.max_chars else None
        placeholder = t("app.forms.not_set", self.lang) if spec.nullable else None
        return st.text_input(label, value=initial, max_chars=limit, help=help_text, key=key, placeholder=placeholder)

    def _multiselect(self, spec: FieldSpec, initial: Any, label: str, help_text: str | None, key: str) -> Any:
        import streamlit as st

        return st.multiselect(label, spec.options, default=initial, help=help_text, key=key,
                              format_func=partial(option_label, spec.name, lang=self.lang))

    def _tags(self, spec: FieldSpec, initial: Any, label: str, help_text: str | None, key: str) -> Any:
        import streamlit as st

        suggestions: list[str] = []
        known = spec.name in CLASS_FIELDS and self.arriving is not None  # only these classes can ever arrive
        if known:
            suggestions = sorted(self.arriving or ())
        elif spec.name in CLASS_FIELDS:
            suggestions = class_suggestions(_safe_model_choices(), self.model)
        options = list(dict.fromkeys([*initial, *suggestions]))
        placeholder = t("app.forms.classes_placeholder" if known else "app.forms.tags_placeholder", self.lang)
        return st.multiselect(label, options, default=initial, help=help_text, key=key, accept_new_options=not known,
                              placeholder=placeholder)

    def _pair(self, spec: FieldSpec, initial: Any, label: str, help_text: str | None, key: str) -> Any:
        import streamlit as st

        st.markdown(label, help=help_text)
        left, right = st.columns(2)
        out = []
        for column, axis, value in ((left, "x", initial[0]), (right, "y", initial[1])):
            low, high = _usable_bounds(spec, value, float)
            out.append(column.number_input(t(f"app.forms.{axis}", self.lang), min_value=low, max_value=high,
                                           value=value, step=1.0, format="%g", key=f"{key}.{axis}"))
        return tuple(out)

    def _points(self, spec: FieldSpec, initial: Any, label: str, help_text: str | None, key: str) -> Any:
        import pandas as pd
        import streamlit as st

        st.markdown(label, help=help_text)
        columns = {axis: st.column_config.NumberColumn(t(f"app.forms.{axis}", self.lang), min_value=spec.min,
                                                       max_value=spec.max, format="%g") for axis in ("x", "y")}
        table = st.data_editor(pd.DataFrame(initial, columns=["x", "y"], dtype=float), num_rows="dynamic", key=key,
                               column_config=columns, hide_index=True)
        cells = table[["x", "y"]].itertuples(index=False)
        rows = [tuple(None if pd.isna(v) else float(v) for v in row) for row in cells]
        return rows if rows != initial else initial

    def _yaml(self, spec: FieldSpec, initial: Any, label: str, help_text: str | None, key: str) -> Any:
        import streamlit as st

        return st.text_area(label, value=initial, help=help_text, key=key,
                            placeholder=t("app.forms.yaml_placeholder", self.lang))

    def _model(self, spec: FieldSpec, initial: Any, label: str, help_text: str | None, key: str) -> Any:
        import streamlit as st

        try:
            choices = model_choices()
        except BlockError as exc:
            st.warning(exc.problems[0].message(self.lang))
            choices = []
        by_id = {c.id: c for c in choices}
        options = [*by_id, CUSTOM_MODEL]
        index = options.index(initial) if initial in by_id else len(options) - 1
        choice = st.selectbox(label, options, index=index, help=help_text, key=key,
                              format_func=lambda m: model_label(by_id.get(m), self.lang))
        if choice != CUSTOM_MODEL:
            picked = by_id[choice]
            if picked.description:  # an imported model's is the publishing district's text
                st.caption(as_plain_markdown(picked.description))
            if not picked.present:
                st.info(t("app.forms.weights_hint", self.lang, model=picked.id))
            return choice
        typed = st.text_input(t("app.forms.model_custom_id", self.lang), value="" if initial in by_id else initial,
                              key=f"{key}.custom", help=t("app.forms.model_custom_help", self.lang))
        return typed.strip() or initial  # nothing typed yet: keep the current model


_WIDGETS = {"integer": _Form._number, "number": _Form._number, "slider": _Form._slider, "select": _Form._select,
            "toggle": _Form._toggle, "text": _Form._text, "datetime": _Form._text, "multiselect": _Form._multiselect,
            "tags": _Form._tags, "pair": _Form._pair, "points": _Form._points, "yaml": _Form._yaml,
            "model": _Form._model}


def _usable_bounds(spec: FieldSpec, value: Any, cast: type) -> tuple[Any, Any]:
    """The widget's min/max; none when the current value lies outside (a number input refuses such a value)."""
    inside = value is None or ((spec.min is None or value >= spec.min) and (spec.max is None or value <= spec.max))
    return tuple(cast(b) if inside and b is not None else None for b in (spec.min, spec.max))  # type: ignore[return-value]


def _safe_model_choices() -> list[ModelChoice]:
    try:
        return model_choices()
    except BlockError:
        return []
