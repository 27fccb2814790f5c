"""Settings forms from the config schema: the right widget per field, untouched configs round-trip unchanged,
a changed widget yields the new config, labels come from the translation table, the model picker shows the zoo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from workbench.apps.ui.field_values import (
    MISSING,
    FieldSpec,
    FormInputError,
    NotRepresentable,
    apply_value,
    field_specs,
    from_widget,
    to_widget,
)
from workbench.apps.ui.forms import class_suggestions, field_help, field_label, model_choices
from workbench.apps.ui.geometry import line_object
from workbench.core.i18n import add_messages, has
from workbench.core.registry import default_registry

APP = str(Path(__file__).parent / "apps" / "settings_form_app.py")
LINE = {"id": "count_line", "type": "rules/line_crossing@v1",
        "config": {"name": "count_line", "start": [320, 140], "end": [320, 265]}}


def specs_of(type_id: str) -> dict[str, FieldSpec]:
    block = default_registry().get(type_id)
    return {s.name: s for s in field_specs(block.Config.model_json_schema(), block.site_fields)}


# -- schema -> widgets ------------------------------------------------------------------------------------------------
def test_line_crossing_fields_get_fitting_widgets():
    specs = specs_of("rules/line_crossing@v1")
    assert specs["start"].widget == "pair" and specs["start"].geometry == "line" and specs["start"].required
    assert (specs["start"].min, specs["start"].max) == (0, 10000)
    assert specs["direction"].widget == "select" and specs["direction"].options == ("both", "in", "out")
    assert (specs["min_frames_on_side"].widget, specs["min_frames_on_side"].min, specs["min_frames_on_side"].max,
            specs["min_frames_on_side"].default) == ("integer", 1, 100, 3)
    assert specs["classes"].widget == "tags"
    assert specs["name"].widget == "text" and specs["name"].max_chars == 80


def test_other_shapes_of_settings():
    assert specs_of("filters/confidence@v1")["min_confidence"].widget == "slider"
    box = specs_of("filters/box_size@v1")["min_width"]
    assert box.widget == "number" and box.nullable and box.default is None
    source = specs_of("sources/video_file@v1")
    assert source["path"].required and source["path"].widget == "text"
    assert source["start_time"].widget == "datetime" and source["start_time"].nullable
    zone = specs_of("rules/zone_enter_exit@v1")
    assert zone["polygon"].widget == "points" and zone["polygon"].geometry == "polygon"
    assert zone["events"].widget == "multiselect" and zone["events"].options == ("enter", "exit")
    assert zone["count_initial"].widget == "toggle"
    assert specs_of("sinks/webhook@v1")["headers"].widget == "yaml"
    assert specs_of("detection/yolo@v1")["model"].widget == "model"
    assert specs_of("detection/yolo@v1")["imgsz"].step == 32
    assert specs_of("rules/wrong_way@v1")["expected_direction"].geometry == "vector"


# -- values -----------------------------------------------------------------------------------------------------------
def test_an_untouched_widget_keeps_the_config_exactly():
    spec = specs_of("filters/box_size@v1")["min_width"]
    config = {"min_width": 30}
    initial = to_widget(spec, 30)
    assert initial == 30.0
    assert apply_value(config, spec, initial, 30.0) is config


def test_changed_values_are_written_and_defaults_left_out():
    spec = specs_of("filters/box_size@v1")["min_width"]
    assert apply_value({"min_width": 30}, spec, 30.0, 42.5) == {"min_width": 42.5}
    assert apply_value({"min_width": 30}, spec, 30.0, 40.0) == {"min_width": 40}  # whole numbers stay whole
    assert apply_value({"min_width": 30}, spec, 30.0, None) == {}  # cleared = no limit = the default
    direction = specs_of("rules/line_crossing@v1")["direction"]
    assert apply_value({"direction": "in"}, direction, "in", "both") == {}


def test_required_text_left_empty_stays_missing():
    path = specs_of("sources/video_file@v1")["path"]
    assert from_widget(path, "") is MISSING
    assert apply_value({}, path, "", "clip.mp4") == {"path": "clip.mp4"}


def test_values_a_widget_cannot_show_are_refused():
    specs = specs_of("rules/line_crossing@v1")
    with pytest.raises(NotRepresentable):
        to_widget(specs["min_frames_on_side"], "three")
    with pytest.raises(NotRepresentable):
        to_widget(specs["direction"], "sideways")


def test_bad_yaml_is_an_input_error():
    headers = specs_of("sinks/webhook@v1")["headers"]
    assert from_widget(headers, "X-Source: camera-3") == {"X-Source": "camera-3"}
    with pytest.raises(FormInputError):
        from_widget(headers, "X-Source: [camera")


# -- labels -----------------------------------------------------------------------------------------------------------
def test_labels_prefer_the_block_key_then_the_field_key_then_the_name():
    add_messages({"field.tests/toy.speed": {"en": "Toy speed", "zh": "玩具速度"},
                  "field.toy_only_field": {"en": "Generic", "zh": "通用"},
                  "fielddesc.toy_only_field": {"en": "Generic help", "zh": "通用说明"}})
    assert field_label("tests/toy", "speed", "zh") == "玩具速度"
    assert field_label("tests/other", "toy_only_field", "en") == "Generic"
    assert field_label("tests/toy", "never_translated", "zh") == "never_translated"
    assert field_help("tests/toy", "toy_only_field", "English text", "zh") == "通用说明"
    assert field_help("tests/toy", "never_translated", "English text", "zh") == "English text"


def test_every_setting_of_every_block_has_a_translated_label():
    missing = [f"{b.type_id}:{f}" for b in default_registry().blocks.values() for f in b.Config.model_fields
               if not (has(f"field.{b.name()}.{f}") or has(f"field.{f}"))]
    assert missing == []


# -- model zoo --------------------------------------------------------------------------------------------------------
def test_model_choices_say_whether_weights_are_here(zoo_home):
    (choice,) = model_choices()
    assert choice.id == "yolo11n" and not choice.present and "car" in choice.classes
    weights = zoo_home / "models" / "yolo11n" / "yolo11n.pt"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"not checked here")
    assert model_choices()[0].present
    assert class_suggestions(model_choices(), "yolo11n")[:3] == ["person", "bicycle", "car"]


# -- the form in Streamlit --------------------------------------------------------------------------------------------
def form(node: dict, lang: str = "en", frame: np.ndarray | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["node"] = node
    at.session_state["lang"] = lang
    at.session_state["frame"] = frame
    return at.run()


def widget(at: AppTest, kind: str, label: str):
    found = [w for w in getattr(at, kind) if w.label == label]
    assert len(found) == 1, [w.label for w in getattr(at, kind)]
    return found[0]


def test_untouched_line_crossing_form_returns_nothing_and_shows_the_values():
    at = form(LINE)
    assert not at.exception
    assert at.session_state["result"] is None
    assert widget(at, "selectbox", "Direction").value == "both"
    assert widget(at, "text_input", "Line name").value == "count_line"
    assert [w.value for w in at.number_input if w.label in ("x", "y")] == [320, 140, 320, 265]
    at.run()  # a rerun with nothing touched still changes nothing
    assert at.session_state["result"] is None


def test_changing_a_widget_returns_the_whole_new_config():
    at = form(LINE)
    widget(at, "selectbox", "Direction").select("in").run()
    assert at.session_state["result"] == {**LINE["config"], "direction": "in"}
    at = form(LINE)
    widget(at, "number_input", "Frames on the new side").set_value(5).run()
    assert at.session_state["result"] == {**LINE["config"], "min_frames_on_side": 5}


def test_confidence_slider_in_chinese():
    node = {"id": "conf", "type": "filters/confidence@v1", "config": {}}
    at = form(node, lang="zh")
    slider = widget(at, "slider", "最低置信度")
    assert slider.value == 0.25 and at.session_state["result"] is None
    slider.set_value(0.5).run()
    assert at.session_state["result"] == {"min_confidence": 0.5}


def test_a_line_drawn_on_the_frame_sets_start_and_end():
    frame = np.zeros((720, 1280, 3), np.uint8)
    at = form(LINE, frame=frame)
    assert at.session_state["result"] is None
    canvas_key = "form.count_line.draw.start.end"
    drawn = {"objects": [line_object((320, 70), (320, 132.5)), line_object((50, 300), (600, 25))]}  # half size
    at.session_state[canvas_key] = {"drawing": {"raw": drawn, "data": None}, "backgroundFit": None}
    at.run()
    assert at.session_state["result"] == {**LINE["config"], "start": [100, 600], "end": [1200, 50]}


def test_bad_yaml_shows_an_error_and_keeps_the_setting():
    node = {"id": "hook", "type": "sinks/webhook@v1", "config": {"url": "http://127.0.0.1/x"}}
    at = form(node)
    widget(at, "text_area", "HTTP headers").input("X-Source: [camera").run()
    assert at.session_state["result"] is None
    assert "not valid YAML" in at.error[0].value


def test_yolo_model_picker_offers_the_zoo(zoo_home):
    node = {"id": "det", "type": "detection/yolo@v1", "config": {"model": "yolo11n"}}
    at = form(node)
    picker = widget(at, "selectbox", "Model")
    assert picker.options[0].startswith("yolo11n") and "weights missing" in picker.options[0]
    assert "workbench zoo import" in at.info[0].value
    assert "car" in widget(at, "multiselect", "Classes").options
    picker.select_index(len(picker.options) - 1).run()  # "another model id"
    widget(at, "text_input", "Model id").input("site-muck-truck").run()
    assert at.session_state["result"] == {"model": "site-muck-truck"}


def test_model_picker_offers_only_models_that_run_in_the_block(zoo_home):
    import shutil

    from blocks.detection.onnx_detector import OnnxDetector
    from blocks.detection.yolo import YoloDetector
    from workbench.models.zoo import bundled_zoo_dir

    shutil.copy(Path(__file__).parents[4] / "model_zoo" / "nanodet-m-416.yaml", bundled_zoo_dir())  # an ONNX model
    assert [c.id for c in model_choices()] == ["nanodet-m-416", "yolo11n"]
    assert [c.id for c in model_choices(OnnxDetector)] == ["nanodet-m-416"]
    assert [c.id for c in model_choices(YoloDetector)] == ["yolo11n"]
    for type_id, model, offered in (("detection/onnx@v1", "nanodet-m-416", "nanodet-m-416"),
                                    ("detection/yolo@v1", "yolo11n", "yolo11n")):
        at = form({"id": "det", "type": type_id, "config": {"model": model}})
        picker = widget(at, "selectbox", "Model")
        assert [o.split(" ")[0] for o in picker.options[:-1]] == [offered]  # the last entry: "another model id"
