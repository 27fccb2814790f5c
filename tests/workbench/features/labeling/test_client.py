"""Connecting: an unreachable server, something that is not Label Studio, and missing settings give clear problems."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from workbench.core.errors import WorkbenchError
from workbench.features.labeling.client import connect, resolve_connection
from workbench.features.labeling.server import free_port


def _code(exc: pytest.ExceptionInfo) -> str:
    (problem,) = exc.value.problems
    return problem.code


def test_unreachable_server_names_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(WorkbenchError) as err:
        connect(url, "sometoken", timeout=5)
    assert _code(err) == "labelstudio_unreachable"
    assert err.value.problems[0].params["url"] == url


def test_a_web_server_that_is_not_label_studio():
    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>nothing here</html>")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(WorkbenchError) as err:
            connect(f"http://127.0.0.1:{httpd.server_port}", "sometoken", timeout=5)
        assert _code(err) == "labelstudio_not_a_server"
    finally:
        httpd.shutdown()


def test_missing_url_and_token(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    with pytest.raises(WorkbenchError) as err:
        resolve_connection()
    assert _code(err) == "labelstudio_no_url"
    with pytest.raises(WorkbenchError) as err:
        resolve_connection("http://127.0.0.1:9")
    assert _code(err) == "labelstudio_no_token"


def test_the_local_servers_token_file_is_used_and_never_shown(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    home = tmp_path / "labelstudio"
    home.mkdir()
    (home / "server.json").write_text(json.dumps({"url": "http://127.0.0.1:8080", "port": 8080, "pid": 1}))
    (home / "token").write_text("secret-token-value\n")
    conn = resolve_connection()
    assert (conn.url, conn.token, conn.token_source) == ("http://127.0.0.1:8080", "secret-token-value",
                                                         str(home / "token"))
    assert "secret-token-value" not in repr(conn)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "from-env")
    assert resolve_connection().token_source == "LABEL_STUDIO_API_KEY"
