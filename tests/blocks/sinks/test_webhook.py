from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from support import make_frame

from blocks.sinks.webhook import FAILED_FILE, Webhook, WebhookConfig
from workbench.core.block import StreamContext
from workbench.core.errors import BlockError
from workbench.core.events import Event


@pytest.fixture
def server(monkeypatch):
    """A real HTTP server on 127.0.0.1 (random port). `script` holds (status, delay_s, headers) answers in order."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    received, script = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), json.loads(body.decode("utf-8"))))
            status, delay, extra = script.pop(0) if script else (200, 0.0, {})
            time.sleep(delay)
            try:
                self.send_response(status)
                for key, value in extra.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the client gave up waiting

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{srv.server_port}/hook", port=srv.server_port,
                          received=received, script=script)
    srv.shutdown()
    srv.server_close()


def ctx(out):
    return StreamContext(out_dir=out, source="test.mp4", fps=25.0, frame_size=(640, 360))


def event(frame: int, track: int = 1) -> Event:
    return Event(time="2026-11-23T12:00:00", pts=frame / 25, frame=frame, node="wrong", type="wrong_way",
                 track_id=track, class_name="bicycle", region="北门", bbox=(1.0, 2.0, 3.0, 4.0))


@pytest.fixture(autouse=True)
def _policy(operator_policy):
    """This machine's operator lets webhooks post to 127.0.0.1 and read TEST_* variables."""
    operator_policy(webhook_hosts=["127.0.0.1"], webhook_header_env=["TEST_*", "NO_SUCH_TOKEN_VAR"])


def config(url: str, **kw) -> WebhookConfig:
    return WebhookConfig(**{"url": url, "allowed_hosts": ("127.0.0.1",), "timeout_s": 2.0, "backoff_s": 0.05, **kw})


def test_events_are_posted_as_json(server, tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_ALERT_TOKEN", "s3cret")
    block = Webhook(config(server.url, headers={"X-Camera": "east"}, headers_env={"Authorization": "TEST_ALERT_TOKEN"}),
                    "hook")
    state = block.start(ctx(tmp_path))
    block.process(state, make_frame(0), {"events": (event(0, 1), event(0, 2))})
    block.process(state, make_frame(1), {"events": ()})
    block.process(state, make_frame(2), {"events": (event(2, 3),)})
    facts = block.finish(state)

    assert facts == {"host": "127.0.0.1", "sent": 3, "failed": 0, "requests": 3}
    assert [body for _, body in server.received] == [event(0, 1).to_dict(), event(0, 2).to_dict(),
                                                     event(2, 3).to_dict()]
    headers = server.received[0][0]
    assert headers["Content-Type"].startswith("application/json")
    assert headers["X-Camera"] == "east" and headers["Authorization"] == "s3cret"
    assert not (tmp_path / FAILED_FILE).exists()


def test_batch_sends_one_post_per_frame(server, tmp_path):
    block = Webhook(config(server.url, batch=True), "hook")
    state = block.start(ctx(tmp_path))
    block.process(state, make_frame(4), {"events": (event(4, 1), event(4, 2))})
    assert block.finish(state)["sent"] == 2
    assert [body for _, body in server.received] == [{"frame": 4, "events": [event(4, 1).to_dict(),
                                                                            event(4, 2).to_dict()]}]


def test_server_errors_are_retried(server, tmp_path):
    server.script.extend([(500, 0.0, {}), (500, 0.0, {})])  # then 200
    block = Webhook(config(server.url, retries=3), "hook")
    state = block.start(ctx(tmp_path))
    block.process(state, make_frame(0), {"events": (event(0),)})
    facts = block.finish(state)
    assert (facts["sent"], facts["failed"], facts["requests"]) == (1, 0, 3)
    assert [body for _, body in server.received] == [event(0).to_dict()] * 3


def test_unreachable_server_is_recorded(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    block = Webhook(config(f"http://127.0.0.1:{port}/hook", retries=2), "hook")
    state = block.start(ctx(tmp_path))
    block.process(state, make_frame(7), {"events": (event(7),)})
    facts = block.finish(state)
    assert (facts["sent"], facts["failed"], facts["requests"]) == (0, 1, 3)
    assert facts["failed_file"] == FAILED_FILE
    (line,) = (tmp_path / FAILED_FILE).read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert Event.from_dict(record["event"]) == event(7)
    assert record["attempts"] == 3 and record["error"]


def test_refused_request_and_redirects_are_not_retried_or_followed(server, tmp_path):
    server.script.extend([(400, 0.0, {}), (302, 0.0, {"Location": f"http://localhost:{server.port}/elsewhere"})])
    block = Webhook(config(server.url, retries=3), "hook")
    state = block.start(ctx(tmp_path))
    block.process(state, make_frame(0), {"events": (event(0, 1), event(0, 2))})
    facts = block.finish(state)
    assert (facts["sent"], facts["failed"], facts["requests"]) == (0, 2, 2)
    assert len(server.received) == 2  # the redirect target was never asked
    errors = [json.loads(x)["error"] for x in (tmp_path / FAILED_FILE).read_text().splitlines()]
    assert errors[0].startswith("HTTP 400") and errors[1].startswith("HTTP 302")


def test_slow_server_does_not_stall_frames_and_finish_is_bounded(server, tmp_path):
    server.script.extend([(200, 1.5, {})] * 5)
    block = Webhook(config(server.url, retries=0, drain_s=0.3, timeout_s=0.5), "hook")
    state = block.start(ctx(tmp_path))
    began = time.perf_counter()
    for i in range(5):
        block.process(state, make_frame(i), {"events": (event(i),)})
    assert time.perf_counter() - began < 0.2
    began = time.perf_counter()
    facts = block.finish(state)
    assert time.perf_counter() - began < 3.0
    assert facts["sent"] == 0 and facts["failed"] == 5
    lines = (tmp_path / FAILED_FILE).read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(x)["event"]["frame"] for x in lines) == [0, 1, 2, 3, 4]  # nothing lost


def test_full_queue_spills_to_failed_file(server, tmp_path):
    server.script.extend([(200, 0.5, {})])
    block = Webhook(config(server.url, queue_size=1, retries=0), "hook")
    state = block.start(ctx(tmp_path))
    block.process(state, make_frame(0), {"events": tuple(event(0, t) for t in range(6))})
    facts = block.finish(state)
    assert facts["sent"] + facts["failed"] == 6 and facts["failed"] >= 3
    assert len((tmp_path / FAILED_FILE).read_text().splitlines()) == facts["failed"]


@pytest.mark.parametrize(("url", "allowed", "code"), [
    ("http://example.org/hook", ("127.0.0.1",), "webhook_host_not_in_policy"),
    ("http://example.org/hook", ("example.org",), "webhook_host_not_in_policy"),  # a pipeline cannot widen
    ("http://127.0.0.1:9/hook", ("127.0.0.2",), "webhook_host_not_allowed"),  # but it can narrow
    ("http://localhost:9/hook", ("127.0.0.1",), "webhook_host_not_in_policy"),
    ("file:///etc/passwd", ("127.0.0.1",), "webhook_bad_url"),
    ("", ("127.0.0.1",), "webhook_bad_url"),
])
def test_address_checked_at_start(tmp_path, url, allowed, code):
    with pytest.raises(BlockError) as err:
        Webhook(WebhookConfig(url=url, allowed_hosts=allowed), "hook").start(ctx(tmp_path))
    p = err.value.problems[0]
    assert (p.code, p.node, p.field) == (code, "hook", "url")


def test_missing_secret_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("NO_SUCH_TOKEN_VAR", raising=False)
    cfg = WebhookConfig(url="http://127.0.0.1:9/", allowed_hosts=("127.0.0.1",),
                        headers_env={"Authorization": "NO_SUCH_TOKEN_VAR"})
    with pytest.raises(BlockError) as err:
        Webhook(cfg, "hook").start(ctx(tmp_path))
    assert (err.value.problems[0].code, err.value.problems[0].field) == ("webhook_env_missing", "headers_env")


def test_header_injection_refused():
    with pytest.raises(ValueError, match="not a valid HTTP header"):
        WebhookConfig(headers={"X-A": "ok\r\nHost: evil"})
