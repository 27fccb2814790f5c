"""The placeholder app renders its pages without errors, in both languages."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).parents[3] / "app.py")


def test_pipelines_page_lists_bundled_pipelines():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "流水线"
    assert len(at.expander) >= 4


def test_switching_to_english():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.sidebar.selectbox[0].select("en").run()
    assert not at.exception
    assert at.title[0].value == "Pipelines"
