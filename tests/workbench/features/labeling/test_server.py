"""The local Label Studio launcher: secrets created once and private, busy ports refused, offline environment."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.core.errors import WorkbenchError
from workbench.features.labeling import ls_settings
from workbench.features.labeling.server import bootstrap_secrets, launch, log_size, server_env, wait_ready


def test_secrets_are_created_once_and_private(tmp_path):
    first = bootstrap_secrets(tmp_path)
    assert bootstrap_secrets(tmp_path) == first
    assert len(set(first)) == 4 and all(len(s) >= 12 for s in first[1:])
    for name in ("token", "credentials.json", "secret_key"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600


def test_a_busy_port_is_refused_before_label_studio_moves_elsewhere(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(WorkbenchError) as err:
            launch(tmp_path / "no-such-label-studio", {}, port, tmp_path / "log")
    assert err.value.problems[0].code == "labelstudio_port_busy"
    assert err.value.problems[0].params["port"] == port


def test_environment_is_offline_and_serves_local_files(tmp_path, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "client-side-key")
    env = server_env(tmp_path / "data", tmp_path, "u@localhost", "pw", "tok")
    assert env["LATEST_VERSION_CHECK"] == "false" and env["COLLECT_ANALYTICS"] == "false"
    assert env["SENTRY_DSN"] == "" and env["FRONTEND_SENTRY_DSN"] == ""
    assert env["LOCAL_FILES_SERVING_ENABLED"] == "true" and env["LOCAL_FILES_DOCUMENT_ROOT"] == str(tmp_path)
    assert env["LABEL_STUDIO_USER_TOKEN"] == "tok" and env["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] == "true"
    assert "LABEL_STUDIO_API_KEY" not in env  # the client's key is not handed to the server


def test_label_studio_loads_the_offline_settings_and_nothing_of_ours(tmp_path, monkeypatch):
    """The live tips are answered by our settings module (a real server is checked in test_labelstudio.py)."""
    monkeypatch.setenv("PYTHONPATH", "/somewhere/of/the/workbench")
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "other.settings")
    env = server_env(tmp_path / "data", tmp_path, "u@localhost", "pw", "tok")
    assert env["DJANGO_SETTINGS_MODULE"] == "workbench_offline_settings"
    assert env["PYTHONPATH"] == str(ls_settings.FOLDER)
    assert (Path(env["PYTHONPATH"]) / "workbench_offline_settings.py").is_file()
    assert (Path(env["PYTHONPATH"]) / "workbench_offline_middleware.py").is_file()


def test_an_earlier_start_on_another_port_in_the_log_is_no_move(tmp_path):
    """The log is appended to across starts: a second start on another port used to read the first start's
    "Starting development server at ...:<old port>" line and stop its own server as "moved"."""
    log = tmp_path / "server.log"
    log.write_text("Starting development server at http://127.0.0.1:8080/\n")
    offset = log_size(log)
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
    try:
        with pytest.raises(WorkbenchError) as err:
            wait_ready(proc, 8081, log, timeout=1.5, log_offset=offset)
        assert err.value.problems[0].code == "labelstudio_start_timeout"  # still waiting for its own line
        with open(log, "a") as f:
            f.write("Starting development server at http://127.0.0.1:8090/\n")
        proc2 = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
        with pytest.raises(WorkbenchError) as err:
            wait_ready(proc2, 8081, log, timeout=5, log_offset=offset)
        assert err.value.problems[0].code == "labelstudio_port_moved"  # this start's own move still counts
        assert err.value.problems[0].params == {"port": 8081, "actual": 8090}
    finally:
        proc.kill()
        proc.wait()
