"""The Blocks page in both languages: every block grouped and searchable, ports, settings, examples, plugins."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from ui_support import as_user

from workbench.core.registry import default_registry


def catalog_script(with_plugins: bool) -> None:
    """The page as the app runs it, or over a registry holding the example plugin and one broken plugin."""
    from workbench.apps.ui.pages.blocks import blocks_page, render_catalog

    if not with_plugins:
        blocks_page()
        return
    from plugin_example.workbench_camera_tamper.block import CameraTamper

    from workbench.core.registry import BlockRegistry, default_registry

    reg = BlockRegistry.of([*default_registry().blocks.values(), CameraTamper])
    reg.broken["acme.counter = acme_blocks:Counter"] = "ModuleNotFoundError: No module named 'acme_blocks'"
    render_catalog(reg, reg.describe())


def open_page(lang: str = "zh", query: str = "", with_plugins: bool = False) -> AppTest:
    at = as_user(AppTest.from_function(catalog_script, args=(with_plugins,), default_timeout=60))
    at.session_state["lang"] = lang
    at.run()
    if query:
        at.text_input(key="blocks_query").input(query).run()
    assert not at.exception, at.exception
    return at


def expander_titles(at: AppTest) -> list[str]:
    return [e.label for e in at.expander]


def test_every_block_is_listed_in_chinese_by_category():
    at = open_page("zh")
    assert at.title[0].value == "模块目录"
    total = len(default_registry().blocks)
    assert len(at.expander) == total
    assert [h.value for h in at.subheader] == ["视频源 (3)", "检测 (4)", "过滤 (4)", "跟踪 (2)", "规则 (8)", "输出 (5)"]
    assert "越线检测 · `rules/line_crossing@v1`" in expander_titles(at)
    assert len(at.table) == total  # every block here has settings
    assert len(at.code) == total  # and an example


def test_english_titles_and_settings_table():
    at = open_page("en", query="rules/line_crossing")
    assert at.title[0].value == "Block catalog"
    assert expander_titles(at) == ["Line crossing · `rules/line_crossing@v1`"]
    table = at.table[0].value.set_index("key")
    assert list(table.columns) == ["setting", "type", "default", "allowed values", "site", "description"]
    assert table.loc["start", "setting"] == "Line start"
    assert tuple(table.loc["start", ["type", "default", "site"]]) == ("point [x, y]", "required", "✓")
    assert table.loc["margin_px", "site"] == ""
    assert table.loc["margin_px", "allowed values"] == "0 ≤ x ≤ 200"


def test_search_in_chinese_shows_the_block_with_ports_and_a_valid_example():
    at = open_page("zh", query="越线")
    assert expander_titles(at) == ["越线检测 · `rules/line_crossing@v1`"]
    assert at.expander[0].proto.expanded  # a short result list opens itself
    ports = " ".join(m.value for m in at.markdown)
    assert "<code>tracks</code>" in ports and "#54a24b" in ports and "轨迹" in ports
    assert "<code>events</code>" in ports and "#e45756" in ports
    example = at.code[0].value
    assert example.startswith("- id: line_crossing\n  type: rules/line_crossing@v1")
    assert "start: [" in example
    assert any("pipelines/" in c.value for c in at.caption)
    assert not at.warning  # the example is ready to use


def test_example_with_an_empty_required_setting_says_what_to_fill_in():
    at = open_page("en", query="filters/roi")
    assert "polygon: null" in at.code[0].value
    assert "roi.config.polygon" in at.warning[0].value


def test_no_match_says_so():
    at = open_page("en", query="zzz-nothing")
    assert not at.expander
    assert "zzz-nothing" in at.info[0].value


def test_plugins_are_listed_and_broken_plugins_show_their_error():
    at = open_page("zh", with_plugins=True)
    assert "插件 (1)" in [h.value for h in at.subheader]
    assert "摄像头遮挡 · `plugins/camera_tamper@v1`" in expander_titles(at)
    assert "acme.counter = acme_blocks:Counter" in at.error[0].value
    assert "No module named 'acme_blocks'" in at.error[0].value
    at.text_input(key="blocks_query").input("tamper").run()
    assert expander_titles(at) == ["摄像头遮挡 · `plugins/camera_tamper@v1`"]
    assert "min_seconds: 2.0" in at.code[0].value
