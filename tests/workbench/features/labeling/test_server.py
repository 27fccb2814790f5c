"""The local Label Studio launcher: secrets created once and private, busy ports refused, offline environment."""

from __future__ import annotations

import socket

import pytest

from workbench.core.errors import WorkbenchError
from workbench.features.labeling.server import bootstrap_secrets, launch, server_env


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
