"""The Python side of the pipeline canvas component: its build, its errors, and replies faked through session_state.

What happens inside the browser is tested with Playwright in tests/e2e/test_canvas_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from ui_support import as_user

import workbench.apps.ui.canvas as canvas_module


def _app() -> None:
    """An app with an empty canvas that writes the canvas' reply (AppTest runs this function's source as a script)."""
    import streamlit as st

    from workbench.apps.ui.canvas import pipeline_canvas

    view = {"revision": 1, "nodes": [], "edges": [], "selected": None, "kinds": {}, "fits": {}, "text": {}}
    st.write(repr(pipeline_canvas(view | {"height": 300}, key="canvas")))


def test_make_install_built_the_canvas_with_relative_asset_paths() -> None:
    index = canvas_module.STATIC_DIR / "index.html"
    assert index.is_file(), f"{index} is missing: run `make install` (it builds frontend/canvas with npm)"
    html = index.read_text(encoding="utf-8")
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:  # Streamlit serves the iframe under /component/<name>/: absolute paths would 404
        assert asset.startswith("./"), f"{asset} in index.html is not relative (vite base must be './')"
        assert (canvas_module.STATIC_DIR / asset).is_file(), f"index.html names {asset}, which was not built"


def test_no_reply_before_the_user_acts_then_the_reply_comes_back() -> None:
    app = as_user(AppTest.from_function(_app)).run()
    assert not app.exception
    assert [m.value for m in app.markdown] == ["None"]
    app.session_state["canvas"] = {"seq": 7, "action": "select", "selected": "det"}  # as the browser would send it
    app.run()
    assert [m.value for m in app.markdown] == [repr({"seq": 7, "action": "select", "selected": "det"})]


def test_missing_build_says_to_run_make_install_in_the_page_language(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(canvas_module, "STATIC_DIR", tmp_path / "static")
    monkeypatch.delenv(canvas_module.DEV_URL_ENV, raising=False)
    app = as_user(AppTest.from_function(_app)).run()
    assert len(app.exception) == 1
    message = app.exception[0].message
    assert "make install" in message and str(tmp_path / "static" / "index.html") in message
    assert "流水线画布尚未构建" in message  # Chinese: the app's default language


def test_dev_server_url_is_used_instead_of_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(canvas_module, "STATIC_DIR", tmp_path / "static")  # no build, but a dev server is named
    monkeypatch.setenv(canvas_module.DEV_URL_ENV, "http://localhost:3001")
    app = as_user(AppTest.from_function(_app)).run()
    assert not app.exception
    assert [m.value for m in app.markdown] == ["None"]
