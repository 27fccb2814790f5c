"""The block catalog's logic: grouping, search in both languages, settings tables, port chips and example nodes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workbench.apps.ui import catalog as cat
from workbench.core.registry import default_registry, describe_block

REPO = Path(__file__).parents[4]


@pytest.fixture(scope="module")
def blocks() -> dict[str, dict]:
    return {b["type"]: b for b in default_registry().describe()}


@pytest.fixture(scope="module")
def tamper() -> dict:
    """The example plugin's block, described exactly as an installed plugin would be."""
    from plugin_example.workbench_camera_tamper.block import CameraTamper

    return describe_block(CameraTamper)


def row(block: dict, name: str, lang: str = "en") -> dict:
    return next(r for r in cat.settings_rows(block, lang) if r["name"] == name)


def test_categories_follow_the_pipeline_and_plugins_come_last(blocks, tamper):
    groups = cat.group_by_category([tamper, *blocks.values()])
    assert list(groups) == ["sources", "detection", "filters", "tracking", "rules", "sinks", "plugins"]
    assert sum(len(members) for members in groups.values()) == len(blocks) + 1
    assert [cat.category_label(c, "zh") for c in groups] == ["视频源", "检测", "过滤", "跟踪", "规则", "输出", "插件"]
    assert cat.category_label("myorg", "en") == "myorg"  # a plugin's unknown category shows as spelled


@pytest.mark.parametrize("query", ["line", "越线", "LINE CROSSING", "rules/line_crossing@v1", "计数线"])
def test_search_finds_the_line_crossing_block_in_either_language(blocks, query):
    found = {b["type"] for b in cat.search(blocks.values(), query)}
    assert "rules/line_crossing@v1" in found
    assert "sinks/webhook@v1" not in found


def test_search_needs_every_word_and_finds_plugins(blocks, tamper):
    everything = [*blocks.values(), tamper]
    assert {b["type"] for b in cat.search(everything, "zone exit")} == {"rules/zone_enter_exit@v1"}
    assert [b["type"] for b in cat.search(everything, "摄像头遮挡")] == ["plugins/camera_tamper@v1"]
    assert cat.search(everything, "no-such-block-xyz") == []
    assert len(cat.search(everything, "  ")) == len(everything)


def test_settings_table_of_the_line_crossing_block(blocks):
    block = blocks["rules/line_crossing@v1"]
    assert [r["name"] for r in cat.settings_rows(block, "en")] == list(block["config_schema"]["properties"])
    start = row(block, "start")
    assert (start["type"], start["default"], start["site"]) == ("point [x, y]", "required", True)
    assert start["allowed"] == "coordinates 0 ≤ x ≤ 10000"
    assert start["description"] == "Line start [x, y] in pixels of the camera image"
    assert row(block, "forget_after")["allowed"] == "0.5 ≤ x ≤ 3600"
    assert row(block, "forget_after")["default"] == "10.0"
    assert row(block, "direction")["allowed"] == "both | in | out"
    assert row(block, "name")["allowed"] == "1 to 80 characters"
    assert row(block, "name")["site"] is False
    assert row(block, "start", "zh")["type"] == "点 [x, y]"
    assert row(block, "start", "zh")["default"] == "必填"


def test_settings_table_covers_optional_lists_patterns_and_polygons(blocks):
    assert row(blocks["filters/box_size@v1"], "max_width")["type"] == "number, may be empty"
    assert row(blocks["filters/box_size@v1"], "max_width")["allowed"] == "0 < x"
    assert row(blocks["filters/box_size@v1"], "max_width")["default"] == "(empty)"
    assert row(blocks["detection/yolo@v1"], "imgsz")["allowed"] == "32 ≤ x ≤ 4096; multiple of 32"
    assert row(blocks["detection/motion@v1"], "detect_shadows")["type"] == "on / off"
    weekdays = row(blocks["rules/time_window@v1"], "weekdays")
    assert weekdays["allowed"] == "each one of mon | tue | wed | thu | fri | sat | sun"
    assert row(blocks["rules/time_window@v1"], "start")["allowed"].startswith("must match ^(")
    polygon = row(blocks["rules/zone_enter_exit@v1"], "polygon")
    assert polygon["type"] == "polygon (list of [x, y] points)"
    assert polygon["allowed"] == "coordinates 0 ≤ x ≤ 10000; 3 to 100 items"
    assert row(blocks["sinks/webhook@v1"], "headers")["type"] == "name → value pairs"


def test_field_label_uses_the_translation_table_when_it_has_the_field():
    from workbench.core.i18n import add_messages

    add_messages({"field.catalog_test_only": {"en": "Test label", "zh": "测试标签"}})  # as a plugin would
    block = {"name": "tests/any", "site_fields": [], "config_schema": {"properties": {
        "catalog_test_only": {"type": "number", "description": "x"}, "no_such_field_here": {"type": "number"}}}}
    labels = {row["name"]: row["label"] for row in cat.settings_rows(block, "zh")}
    assert labels == {"catalog_test_only": "测试标签", "no_such_field_here": "no_such_field_here"}


def test_a_field_reads_the_same_in_the_catalog_as_in_the_settings_form():
    line = next(b for b in default_registry().describe() if b["type"] == "rules/line_crossing@v1")
    rows = {row["name"]: row for row in cat.settings_rows(line, "zh")}
    assert rows["start"]["label"] == "线起点", "the line's start is a point, not the source's start second"


def test_port_chip_shows_name_and_kind_colour(blocks):
    sink = blocks["sinks/annotated_video@v1"]
    chips = {p["name"]: cat.port_chip(p, "zh") for p in sink["inputs"]}
    assert "#4c78a8" in chips["image"] and "图像" in chips["image"]
    assert "#f58518" in chips["detections"]
    assert "#e45756" in chips["events"] and "可选" in chips["events"]
    tracks = cat.port_chip(blocks["tracking/bytetrack@v1"]["outputs"][0], "en")
    assert "#54a24b" in tracks and "<code>tracks</code>" in tracks and "optional" not in tracks
    assert "&lt;b&gt;" in cat.port_chip({"name": "<b>", "kind": "image"}, "en")  # plugin texts are escaped


def test_examples_of_blocks_in_bundled_pipelines_are_valid_and_use_their_values(blocks):
    registry, bundled = default_registry(), cat.bundled_configs()
    for type_id in ("rules/line_crossing@v1", "rules/zone_enter_exit@v1", "rules/stopped@v1", "sources/video_file@v1"):
        node, origin = cat.example_node(blocks[type_id], bundled)
        assert origin and (REPO / "pipelines" / origin).exists(), type_id
        assert cat.example_problems(node, registry) == [], type_id
    node, origin = cat.example_node(blocks["rules/line_crossing@v1"], bundled)
    used = yaml.safe_load((REPO / "pipelines" / origin).read_text())
    line = next(n for n in used["nodes"] if n["type"] == "rules/line_crossing@v1")
    assert (node["config"]["start"], node["config"]["end"]) == (line["config"]["start"], line["config"]["end"])
    assert node["config"]["margin_px"] == 8.0  # not set in the pipeline: the default


def test_examples_without_required_settings_are_valid_defaults(blocks):
    registry, bundled = default_registry(), cat.bundled_configs()
    for block in blocks.values():
        if not block["config_schema"].get("required"):
            node, _ = cat.example_node(block, bundled)
            assert cat.example_problems(node, registry) == [], block["type"]


def test_required_setting_without_example_is_left_empty_and_validation_names_it(blocks):
    node, origin = cat.example_node(blocks["filters/roi@v1"], cat.bundled_configs())
    assert origin is None and node["config"]["polygon"] is None
    problems = cat.example_problems(node, default_registry())
    assert [p.where() for p in problems] == ["roi.config.polygon"]
    assert "Change this setting" in problems[0].message("en")


def test_example_takes_values_from_any_pipeline_folder(blocks, tmp_path):
    config = {"polygon": [[0, 0], [50, 0], [50, 40]], "mode": "exclude"}
    roi = {"id": "area", "type": "filters/roi@v1", "config": config}
    spec = {"version": 1, "meta": {"name": "roi"}, "nodes": [roi]}
    (tmp_path / "a_roi.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / "b_broken.yaml").write_text("nodes: [")  # an unreadable file is skipped, not fatal
    node, origin = cat.example_node(blocks["filters/roi@v1"], cat.bundled_configs(tmp_path))
    assert origin == "a_roi.yaml"
    assert node["config"]["polygon"] == [[0, 0], [50, 0], [50, 40]]
    assert node["config"]["mode"] == "include"  # not a required or site setting: the default is shown
    assert cat.example_problems(node, default_registry()) == []


def test_example_yaml_is_a_node_of_a_pipeline_file(blocks):
    node, _ = cat.example_node(blocks["rules/line_crossing@v1"], cat.bundled_configs())
    text = cat.example_yaml(node)
    assert text.startswith("- id: line_crossing\n  type: rules/line_crossing@v1\n  config:\n")
    assert yaml.safe_load(text) == [node]
