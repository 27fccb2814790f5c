"""The Clips page starts a real Label Studio on this machine with one button, connects to it, shows the web login and
stops it again (the server runs from the tests' Label Studio venv, data in a tmp home)."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from services.labelstudio import TEST_VENV
from streamlit.testing.v1 import AppTest
from ui_support import as_user

from workbench.core.i18n import t
from workbench.features.labeling import launcher, server

START_TIMEOUT_S = 400


def _page() -> None:
    from workbench.apps.ui.pages.clips import clips_page

    clips_page()


@pytest.mark.slow
def test_start_connect_log_in_and_stop_from_the_page(tmp_path, monkeypatch):
    server.ensure_venv(TEST_VENV, say=lambda msg: print(msg, flush=True))
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WORKBENCH_LABELSTUDIO_VENV", str(TEST_VENV))
    for name in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    at = as_user(AppTest.from_function(_page, default_timeout=120))
    at.session_state["lang"] = "zh"
    at.run()
    assert t("app.clips.ls_start_help", "zh") in [c.value for c in at.caption]  # installed: no install warning

    at.button(key="clips_ls_start").click().run()
    try:
        assert not at.exception, at.exception
        assert launcher.launcher_status().state == "starting"
        assert t("app.clips.ls_starting", "zh") in [i.value for i in at.info]
        deadline = time.monotonic() + START_TIMEOUT_S
        while launcher.launcher_status().state == "starting":
            assert time.monotonic() < deadline, (tmp_path / "home/labelstudio/launcher.log").read_text()
            time.sleep(2)
        at.run()  # what the page's refresh does once the server answers
        assert not at.exception, at.exception
        status = launcher.launcher_status()
        assert status.state == "running", status.log_tail
        connected = [s.value for s in at.success]
        assert connected == [t("app.clips.ls_connected", "zh", url=status.url, where=t("app.clips.ls_local", "zh"),
                               source=str(tmp_path / "home/labelstudio/token"))]
        assert not at.button(key="clips_push").disabled or not at.button(key="clips_pull").disabled
        login = json.loads((tmp_path / "home/labelstudio/credentials.json").read_text())
        assert [c.value for c in at.code] == [f"{login['username']}\n{login['password']}"]

        at.button(key="clips_ls_stop").click().run()
        assert not at.exception, at.exception
        assert launcher.launcher_status().state == "stopped"
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{status.url}/health", timeout=2)
        assert at.button(key="clips_ls_start")  # offered again
    finally:
        launcher.stop_local()
