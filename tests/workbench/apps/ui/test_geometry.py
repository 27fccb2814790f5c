"""Geometry settings: which fields are drawn, and canvas drawings <-> whole image pixels, as the user drew them."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.apps.ui.geometry import (
    Shape,
    View,
    drawn_values,
    infer_shapes,
    initial_drawing,
    last_drawn,
    line_object,
    new_values,
    object_points,
    polygon_object,
)
from workbench.core.registry import default_registry


def shapes_of(type_id: str) -> list[Shape]:
    block = default_registry().get(type_id)
    return infer_shapes(block.Config.model_json_schema(), block.site_fields)


@pytest.mark.parametrize(("type_id", "expected"), [
    ("rules/line_crossing@v1", [Shape("line", ("start", "end"))]),
    ("rules/zone_enter_exit@v1", [Shape("polygon", ("polygon",))]),
    ("filters/roi@v1", [Shape("polygon", ("polygon",))]),
    ("rules/speed@v1", [Shape("polygon", ("polygon",)), Shape("scale", ("pixels_per_meter",))]),
    ("rules/wrong_way@v1", [Shape("polygon", ("polygon",)), Shape("vector", ("expected_direction",))]),
    ("rules/time_window@v1", []),  # start/end here are clock times, and not site fields
])
def test_shapes_are_inferred_from_the_schema(type_id, expected):
    assert shapes_of(type_id) == expected


def test_an_explicit_geometry_marker_wins_over_inference():
    schema = {"properties": {"spot": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}],
                                      "geometry": "point"}}}
    assert infer_shapes(schema, ("spot",)) == [Shape("point", ("spot",))]  # unbounded pair: a vector without marker
    del schema["properties"]["spot"]["geometry"]
    assert infer_shapes(schema, ("spot",)) == [Shape("vector", ("spot",))]


def test_view_fits_the_frame_and_converts_back_to_whole_pixels():
    view = View.fit(1280, 720, max_width=640)
    assert (view.canvas_width, view.canvas_height) == (640, 360)
    assert view.to_image(view.to_canvas([(320, 141), (1279, 0)])) == [(320, 141), (1279, 0)]
    assert view.to_image([(100.26, 50.74)]) == [(201, 101)]  # rounded to whole image pixels
    assert view.to_image([(-5, 400)]) == [(0, 720)]  # kept inside the image
    assert View.fit(320, 240, max_width=640).sx == 1.0  # small frames are not enlarged


def test_a_line_survives_the_trip_through_fabric_json_with_its_direction():
    view = View.fit(1280, 720, max_width=640)
    config = {"start": [1000, 100], "end": [200, 600]}  # drawn right to left: direction decides in/out
    drawing = initial_drawing(Shape("line", ("start", "end")), config, view)
    points = last_drawn(drawing, "line")
    assert drawn_values(Shape("line", ("start", "end")), points, view) == config


def test_a_moved_and_scaled_fabric_line_is_read_where_it_is_shown():
    line = line_object((100, 100), (200, 100))  # centre (150, 100)
    moved = {**line, "left": 250, "top": 300}
    assert object_points(moved) == [(200, 300), (300, 300)]
    scaled = {**line, "scaleX": 2}
    assert object_points(scaled) == [(50, 100), (250, 100)]
    rotated = {**line, "angle": 90}
    assert [tuple(round(v) for v in p) for p in object_points(rotated)] == [(150, 50), (150, 150)]


def test_fabric_objects_with_a_top_left_origin_are_placed_by_their_size():
    polygon = polygon_object([(10, 10), (50, 10), (50, 30)])
    top_left = {**polygon, "originX": "left", "originY": "top", "left": 10 - 1.5, "top": 10 - 1.5}  # stroke 3
    assert object_points(top_left) == [(10, 10), (50, 10), (50, 30)]
    circle = {"type": "Circle", "originX": "left", "originY": "center", "left": 92, "top": 40, "radius": 5,
              "strokeWidth": 6}  # how the point tool draws a click at (100, 40)
    assert object_points(circle) == [(100, 40)]


def test_the_newest_drawing_of_the_right_kind_is_used():
    old = line_object((0, 0), (10, 10))
    new = line_object((20, 20), (30, 5))
    json_data = {"objects": [old, new, polygon_object([(0, 0), (5, 0), (5, 5)])]}
    assert last_drawn(json_data, "line") == [(20, 20), (30, 5)]
    assert last_drawn({"objects": [old]}, "polygon") is None
    assert last_drawn(None, "line") is None


def test_drawn_values_per_shape():
    view = View.fit(1280, 720, max_width=640)  # half size
    assert drawn_values(Shape("polygon", ("polygon",)), [(10, 10), (100, 10.4), (100, 80)], view) == {
        "polygon": [[20, 20], [200, 21], [200, 160]]}
    assert drawn_values(Shape("polygon", ("polygon",)), [(10, 10), (100, 10)], view) is None  # not a zone
    assert drawn_values(Shape("vector", ("d",)), [(300, 100), (300, 250)], view) == {"d": [0, 300]}
    assert drawn_values(Shape("line", ("start", "end")), [(5, 5), (5, 5)], view) is None  # a click, not a line
    scale = drawn_values(Shape("scale", ("pixels_per_meter",)), [(0, 0), (150, 0)], view, metres=12)
    assert scale == {"pixels_per_meter": 25.0}  # 300 image pixels over 12 m
    assert drawn_values(Shape("scale", ("pixels_per_meter",)), [(0, 0), (150, 0)], view) is None  # no length


def test_the_canvas_echo_of_what_was_shown_is_not_a_change():
    view = View.fit(1280, 720, max_width=640)
    shape = Shape("vector", ("expected_direction",))
    config = {"expected_direction": [0, 300]}
    shown = initial_drawing(shape, config, view)  # drawn normalised across the centre
    assert new_values(shape, shown, shown, config, view) is None
    drawn = {"objects": [*shown["objects"], line_object((300, 100), (100, 100))]}
    assert new_values(shape, drawn, shown, config, view) == {"expected_direction": [-400, 0]}


def test_a_drawn_counting_line_shows_which_way_is_in():
    """The arrow drawn on the frame points the way the rule counts "in" (workbench.core.lines), across the line's
    middle."""
    from workbench.apps.ui.geometry import ARROW, Shape, with_in_arrow
    from workbench.core.lines import in_normal

    frame = np.zeros((240, 320, 3), np.uint8)
    line = Shape("line", ("start", "end"))
    config = {"start": [160, 20], "end": [160, 220]}  # drawn top to bottom: "in" is moving right
    shown = with_in_arrow(frame, line, config, "zh")
    assert not frame.any(), "the frame itself is untouched"
    amber = np.all(np.abs(shown.astype(int) - ARROW) < 30, axis=2)
    _ys, xs = np.nonzero(amber)
    assert in_normal(config["start"], config["end"]) == (1.0, 0.0)
    assert xs.max() > 160 + 20 and xs.min() >= 160 - 25, "the arrow head lies on the right of the line"
    assert with_in_arrow(frame, line, {"start": [1, 1]}, "zh") is frame, "nothing to show before both ends exist"
