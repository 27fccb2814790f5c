"""The settings form of a node, generated from its block's config JSON schema.

`field_specs()` (workbench.apps.ui.field_values) turns the schema into a list of `FieldSpec`; `settings_form()` renders
them with Streamlit and returns the new config only when the user changed something.
Geometry fields (`block.site_fields`) are drawn on a frame (workbench.apps.ui.geometry), with a number editor beside.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from workbench.apps.ui.field_values import (
    MISSING,
    FieldSpec,
    FormInputError,
    NotRepresentable,
    apply_value,
    field_specs,
    plain_value,
    to_widget,
)
from workbench.apps.ui.geometry import MAX_CANVAS_WIDTH, digest, draw_shape, infer_shapes
from workbench.apps.ui.labels import field_help, field_label, option_label
from workbench.apps.ui.plain_text import as_plain_markdown
from workbench.core.block import Block
from workbench.core.errors import BlockError
from workbench.core.i18n import t
from workbench.engine.spec import NodeSpec
from workbench.models import zoo

CUSTOM_MODEL = ""  # the model picker's "another model id" entry (never a valid model id)
CLASS_FIELDS = ("classes", "include", "exclude")


# -- model zoo --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelChoice:
    id: str
    present: bool  # weights are on this machine (not checked against the sha256 here: that happens at load)
    description: str
    classes: tuple[str, ...]


def model_choices(block: type[Block] | None = None) -> list[ModelChoice]:
    """The model zoo's models with whether their weights are here; with `block`, only the models that run in it
    (`Block.model_fits`: ONNX files for detection/onnx, ultralytics models for detection/yolo). A broken manifest
    raises BlockError."""
    return [ModelChoice(m.id, m.weights_path().is_file() or m.cache_path().is_file(), m.description, tuple(m.classes))
            for m in zoo.list_models() if block is None or block.model_fits(m)]


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
                 arriving=arriving, block=block)
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
    block: type[Block] | None = None  # the node's block: the model picker offers only models that run in it

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
        key = f"{self.base}.{spec.name}.{digest(plain_value(raw) if raw is not MISSING else None)[:8]}"
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

        hint = t("app.common.choose" if spec.options else "app.common.nothing_to_choose", self.lang)
        return st.multiselect(label, spec.options, default=initial, help=help_text, key=key, placeholder=hint,
                              format_func=partial(option_label, spec.name, lang=self.lang))

    def _tags(self, spec: FieldSpec, initial: Any, label: str, help_text: str | None, key: str) -> Any:
        import streamlit as st

        suggestions: list[str] = []
        known = spec.name in CLASS_FIELDS and self.arriving is not None  # only these classes can ever arrive
        if known:
            suggestions = sorted(self.arriving or ())
        elif spec.name in CLASS_FIELDS:
            suggestions = class_suggestions(_safe_model_choices(self.block), self.model)
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
            choices = model_choices(self.block)
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


def _safe_model_choices(block: type[Block] | None = None) -> list[ModelChoice]:
    try:
        return model_choices(block)
    except BlockError:
        return []
