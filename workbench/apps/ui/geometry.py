"""Geometry settings (counting lines, zones, directions, a metre scale) drawn with the mouse on a real frame.

Which settings are drawn comes from the block: `site_fields` names them and the config schema tells their shape
(`infer_shapes`): `start` + `end` points form one line, an array of points is a polygon, a bounded point is a point,
an unbounded pair of numbers is a direction vector, a `..._per_meter` number is a scale measured along a drawn line.
A field may also say its shape explicitly with `json_schema_extra={"geometry": "<kind>"}`.

The canvas (streamlit-drawable-canvas, a Fabric.js component) shows the frame scaled to fit the page; the pure
functions below convert between image pixels and the canvas' Fabric JSON, and round drawn points to whole pixels.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from workbench.core.i18n import t
from workbench.core.lines import in_arrow
from workbench.media.fonts import BLACK, cjk_font, draw_panel

KINDS = ("line", "polygon", "point", "vector", "scale")
DRAWING_MODE = {"line": "line", "polygon": "polygon", "point": "point", "vector": "line", "scale": "line"}
FABRIC_TYPE = {"line": "line", "polygon": "polygon", "point": "circle", "vector": "line", "scale": "line"}
MAX_CANVAS_WIDTH = 640  # fits a centred page's bordered container; a wider canvas is cut off (scrolls)
STROKE = "#ff4b4b"
ARROW = (255, 200, 0)  # RGB amber: the "in" arrow across a counting line
FILL = "rgba(255, 75, 75, 0.2)"
_ORIGIN = {"left": 0.0, "top": 0.0, "center": 0.5, "right": 1.0, "bottom": 1.0}

Point = tuple[float, float]


@dataclass(frozen=True)
class Shape:
    """One drawable thing and the config fields it fills: a line fills (start, end), a polygon fills (polygon)."""

    kind: str
    fields: tuple[str, ...]


# -- which fields are drawn --------------------------------------------------------------------------------------------
def unwrap_optional(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(the non-null branch, True) for `anyOf: [X, null]`; (schema, False) otherwise."""
    branches = schema.get("anyOf")
    if isinstance(branches, list):
        others = [b for b in branches if b.get("type") != "null"]
        if len(others) == 1 and len(others) < len(branches):
            return {**others[0], **{k: v for k, v in schema.items() if k != "anyOf"}}, True
    return schema, False


def is_pair(schema: dict[str, Any]) -> bool:
    """Two numbers, e.g. `tuple[float, float]`."""
    items = schema.get("prefixItems")
    return (schema.get("type") == "array" and isinstance(items, list) and len(items) == 2
            and all(i.get("type") in ("number", "integer") for i in items))


def is_bounded_pair(schema: dict[str, Any]) -> bool:
    """A pair whose coordinates have a lower bound: pixel positions (a direction vector has none)."""
    return is_pair(schema) and all("minimum" in i for i in schema["prefixItems"])


def is_point_list(schema: dict[str, Any]) -> bool:
    """An array of pairs: polygon corners."""
    return schema.get("type") == "array" and isinstance(schema.get("items"), dict) and is_pair(schema["items"])


def infer_shapes(schema: dict[str, Any], site_fields: Iterable[str]) -> list[Shape]:
    """The shapes to draw for a block, in `site_fields` order."""
    props = schema.get("properties", {})
    names = [n for n in site_fields if n in props]
    fields = {n: unwrap_optional(props[n])[0] for n in names}
    line = ("start", "end")
    has_line = all(n in fields for n in line) and all(
        fields[n].get("geometry") == "line" or is_bounded_pair(fields[n]) for n in line)
    shapes: list[Shape] = []
    for name in names:
        field, kind = fields[name], fields[name].get("geometry")
        if has_line and name in line:
            shape = Shape("line", line)
        elif kind in KINDS and kind != "line":
            shape = Shape(kind, (name,))
        elif is_point_list(field):
            shape = Shape("polygon", (name,))
        elif is_bounded_pair(field):
            shape = Shape("point", (name,))
        elif is_pair(field):
            shape = Shape("vector", (name,))
        elif field.get("type") in ("number", "integer") and name.endswith("per_meter"):
            shape = Shape("scale", (name,))
        else:
            continue
        if shape not in shapes:
            shapes.append(shape)
    return shapes


# -- scaling -----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class View:
    """How a frame of `width` x `height` image pixels is shown on a canvas of `canvas_width` x `canvas_height`."""

    width: int
    height: int
    canvas_width: int
    canvas_height: int

    @classmethod
    def fit(cls, width: int, height: int, max_width: int = MAX_CANVAS_WIDTH) -> View:
        scale = min(1.0, max_width / width)
        return cls(width, height, max(1, round(width * scale)), max(1, round(height * scale)))

    @property
    def sx(self) -> float:
        return self.canvas_width / self.width

    @property
    def sy(self) -> float:
        return self.canvas_height / self.height

    def to_canvas(self, points: Iterable[Sequence[float]]) -> list[Point]:
        return [(float(x) * self.sx, float(y) * self.sy) for x, y in points]

    def to_image(self, points: Iterable[Sequence[float]]) -> list[tuple[int, int]]:
        """Canvas points as whole image pixels, kept inside the image."""
        return [(min(max(round(x / self.sx), 0), self.width), min(max(round(y / self.sy), 0), self.height))
                for x, y in points]


# -- Fabric.js JSON <-> points -----------------------------------------------------------------------------------------
def _centre(obj: dict[str, Any], width: float, height: float) -> Point:
    """The object's centre in canvas pixels, from its origin point (`left`/`top`) and its scaled size with stroke."""
    stroke = float(obj.get("strokeWidth", 0) or 0)
    w = (width + stroke) * float(obj.get("scaleX", 1) or 1)
    h = (height + stroke) * float(obj.get("scaleY", 1) or 1)
    ox, oy = _ORIGIN.get(obj.get("originX", "left"), 0.0), _ORIGIN.get(obj.get("originY", "top"), 0.0)
    return float(obj.get("left", 0)) + (0.5 - ox) * w, float(obj.get("top", 0)) + (0.5 - oy) * h


def _place(obj: dict[str, Any], centre: Point, local: Iterable[Point]) -> list[Point]:
    """Object-local points (relative to its centre, unscaled) to canvas pixels: scale, flip, rotate, move."""
    sx = float(obj.get("scaleX", 1) or 1) * (-1 if obj.get("flipX") else 1)
    sy = float(obj.get("scaleY", 1) or 1) * (-1 if obj.get("flipY") else 1)
    a = math.radians(float(obj.get("angle", 0) or 0))
    cos, sin = math.cos(a), math.sin(a)
    out = []
    for x, y in local:
        x, y = x * sx, y * sy
        out.append((centre[0] + x * cos - y * sin, centre[1] + x * sin + y * cos))
    return out


def object_points(obj: dict[str, Any]) -> list[Point]:
    """The points of one Fabric object in canvas pixels: 2 for a line, the corners of a polygon, 1 for a circle."""
    kind = str(obj.get("type", "")).lower()
    if kind == "line":
        x1, y1, x2, y2 = (float(obj.get(k, 0)) for k in ("x1", "y1", "x2", "y2"))
        # Fabric serialises line ends relative to the line's centre (calcLinePoints).
        width, height = abs(x2 - x1), abs(y2 - y1)
        return _place(obj, _centre(obj, width, height), [(x1, y1), (x2, y2)])
    if kind in ("polygon", "polyline"):
        pts = [(float(p["x"]), float(p["y"])) for p in obj.get("points", [])]
        if not pts:
            return []
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        offset = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)  # Fabric's pathOffset
        centre = _centre(obj, max(xs) - min(xs), max(ys) - min(ys))
        return _place(obj, centre, [(x - offset[0], y - offset[1]) for x, y in pts])
    if kind == "circle":
        r = float(obj.get("radius", 0))
        return [_centre(obj, 2 * r, 2 * r)]
    return []


def last_drawn(json_data: dict[str, Any] | None, kind: str) -> list[Point] | None:
    """Points of the newest object of the shape's Fabric type on the canvas, or None when there is none."""
    objects = (json_data or {}).get("objects") or []
    wanted = FABRIC_TYPE[kind]
    for obj in reversed(objects):
        if str(obj.get("type", "")).lower() == wanted:
            points = object_points(obj)
            if points:
                return points
    return None


def line_object(p1: Point, p2: Point) -> dict[str, Any]:
    """A Fabric line from `p1` to `p2` (canvas pixels), serialised the way Fabric writes it (ends relative)."""
    cx, cy = (p1[0] + p2[0]) / 2, (p1[1] + p2[1]) / 2
    return {"type": "Line", "originX": "center", "originY": "center", "left": cx, "top": cy,
            "x1": p1[0] - cx, "y1": p1[1] - cy, "x2": p2[0] - cx, "y2": p2[1] - cy,
            "stroke": STROKE, "strokeWidth": 3, "fill": STROKE, "scaleX": 1, "scaleY": 1, "angle": 0}


def polygon_object(points: Sequence[Point]) -> dict[str, Any]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return {"type": "Polygon", "originX": "center", "originY": "center",
            "left": (min(xs) + max(xs)) / 2, "top": (min(ys) + max(ys)) / 2,
            "points": [{"x": x, "y": y} for x, y in points],
            "stroke": STROKE, "strokeWidth": 3, "fill": FILL, "scaleX": 1, "scaleY": 1, "angle": 0}


def point_object(p: Point, radius: float = 5) -> dict[str, Any]:
    return {"type": "Circle", "originX": "center", "originY": "center", "left": p[0], "top": p[1], "radius": radius,
            "stroke": STROKE, "strokeWidth": 2, "fill": STROKE, "scaleX": 1, "scaleY": 1, "angle": 0}


# -- shapes <-> config values ------------------------------------------------------------------------------------------
def _pair(value: Any) -> Point | None:
    try:
        x, y = value
        return float(x), float(y)
    except (TypeError, ValueError):
        return None


def shape_points(shape: Shape, config: dict[str, Any], view: View) -> list[Point] | None:
    """The shape's current value as image points to draw, or None when it is not set (or not readable)."""
    if shape.kind == "line":
        ends = [_pair(config.get(f)) for f in shape.fields]
        return None if None in ends else ends  # type: ignore[return-value]
    value = config.get(shape.fields[0])
    if shape.kind == "polygon":
        try:
            pts = [_pair(p) for p in value or ()]
        except TypeError:
            return None
        return pts if pts and None not in pts else None  # type: ignore[return-value]
    if shape.kind == "point":
        p = _pair(value)
        return [p] if p else None
    if shape.kind == "vector":
        v = _pair(value)
        norm = math.hypot(*v) if v else 0.0
        if not norm:
            return None
        half = min(view.width, view.height) / 4  # only the direction matters: drawn across the image centre
        cx, cy = view.width / 2, view.height / 2
        ux, uy = v[0] / norm * half, v[1] / norm * half  # type: ignore[index]
        return [(cx - ux, cy - uy), (cx + ux, cy + uy)]
    return None  # a scale has no drawing of its own


def initial_drawing(shape: Shape, config: dict[str, Any], view: View) -> dict[str, Any]:
    """Fabric JSON that shows the shape's current value on the canvas."""
    points = shape_points(shape, config, view)
    if not points:
        return {"objects": []}
    pts = view.to_canvas(points)
    if shape.kind in ("line", "vector"):
        return {"objects": [line_object(pts[0], pts[1])]}
    if shape.kind == "polygon":
        return {"objects": [polygon_object(pts)]}
    return {"objects": [point_object(pts[0])]}


def drawn_values(shape: Shape, canvas_points: Sequence[Point], view: View, metres: float | None = None
                 ) -> dict[str, Any] | None:
    """Config values for what was drawn (canvas points), rounded to whole image pixels; None if it is unusable."""
    pts = view.to_image(canvas_points)
    if shape.kind == "line" and len(pts) >= 2 and pts[0] != pts[1]:
        return {shape.fields[0]: list(pts[0]), shape.fields[1]: list(pts[1])}
    if shape.kind == "polygon" and len(pts) >= 3:
        return {shape.fields[0]: [list(p) for p in pts]}
    if shape.kind == "point" and pts:
        return {shape.fields[0]: list(pts[0])}
    if shape.kind == "vector" and len(pts) >= 2 and pts[0] != pts[1]:
        return {shape.fields[0]: [pts[1][0] - pts[0][0], pts[1][1] - pts[0][1]]}
    if shape.kind == "scale" and len(canvas_points) >= 2 and metres and metres > 0:
        (x1, y1), (x2, y2) = ((x / view.sx, y / view.sy) for x, y in canvas_points[:2])
        length = math.hypot(x2 - x1, y2 - y1)
        return {shape.fields[0]: round(length / metres, 2)} if length >= 1 else None
    return None


def same_values(values: dict[str, Any], config: dict[str, Any]) -> bool:
    """True when every drawn value equals the config's (lists and tuples alike, 3 == 3.0)."""
    return all(json.dumps(_plain(v)) == json.dumps(_plain(config.get(k))) for k, v in values.items())


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def digest(data: Any) -> str:
    return hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def with_in_arrow(frame: np.ndarray, shape: Shape, config: dict[str, Any], lang: str) -> np.ndarray:
    """A copy of `frame` with an arrow across the line's middle showing which way counts as "in" (the frame itself
    when the shape is no line or not drawn yet)."""
    if shape.kind != "line":
        return frame
    ends = [_pair(config.get(f)) for f in shape.fields]
    if None in ends:
        return frame
    shown = frame.copy()
    length = max(40.0, min(shown.shape[:2]) / 6)
    tail, head = in_arrow(ends[0], ends[1], length)
    thickness = max(2, round(min(shown.shape[:2]) / 180))
    cv2.arrowedLine(shown, tail, head, ARROW, thickness, cv2.LINE_AA, tipLength=0.3)
    font = cjk_font()
    label = t("app.forms.line_in", lang if font else "en")
    draw_panel(shown, label, head[0] + 4, head[1] - 12, max(0.5, length / 120), 3, ARROW, str(font) if font else None,
               BLACK)
    return shown


# -- Streamlit ---------------------------------------------------------------------------------------------------------
def draw_shape(shape: Shape, config: dict[str, Any], frame: np.ndarray, key: str, lang: str,
               max_width: int = MAX_CANVAS_WIDTH) -> dict[str, Any] | None:
    """Show the frame with the shape's current value on a canvas; return the drawn values when the user drew anew.

    `frame` is an RGB image, shown at most `max_width` pixels wide (the canvas does not shrink with the page). The
    canvas' reply is only used once per new drawing (remembered under `key.seen`), so a change made elsewhere (the
    number editor) is not undone by an older drawing still held by the canvas.
    """
    import streamlit as st
    from PIL import Image
    from streamlit_drawable_canvas import st_canvas  # needs a running Streamlit app: imported here, not at the top

    view = View.fit(frame.shape[1], frame.shape[0], max_width)
    st.caption(t(f"app.forms.draw_{shape.kind}", lang))
    metres = None
    if shape.kind == "scale":
        metres = st.number_input(t("app.forms.scale_metres", lang), min_value=0.01, max_value=10000.0, value=None,
                                 format="%g", key=f"{key}.metres")
    shown = initial_drawing(shape, config, view)
    if shape.kind == "line":
        st.caption(t("app.forms.line_in_hint", lang))
    result = st_canvas(
        fill_color=FILL, stroke_width=3, stroke_color=STROKE,
        background_image=Image.fromarray(with_in_arrow(frame, shape, config, lang)),
        width=view.canvas_width, height=view.canvas_height, drawing_mode=DRAWING_MODE[shape.kind],
        initial_drawing=shown, point_display_radius=5, key=key,
    )
    seen_key = f"{key}.seen"
    reply = digest([result.json_data, metres])
    first = seen_key not in st.session_state
    if first or st.session_state[seen_key] == reply:
        st.session_state[seen_key] = reply
        return None
    st.session_state[seen_key] = reply
    return new_values(shape, result.json_data, shown, config, view, metres)


def new_values(shape: Shape, json_data: dict[str, Any] | None, shown: dict[str, Any], config: dict[str, Any],
               view: View, metres: float | None = None) -> dict[str, Any] | None:
    """The config values of what the user drew, or None when the canvas only holds what we showed it.

    The canvas echoes the drawing it was given after every reload; for a direction that echo is a normalised arrow
    whose length differs from the stored vector, so it is compared with the shown drawing, not only with the config.
    """
    points = last_drawn(json_data, shape.kind)
    values = drawn_values(shape, points, view, metres) if points else None
    if values is None or same_values(values, config):
        return None
    echoed = last_drawn(shown, shape.kind)
    if shape.kind != "scale" and echoed and same_values(values, drawn_values(shape, echoed, view) or {}):
        return None
    return values
