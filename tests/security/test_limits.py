"""What a pipeline from another district can make the workbench hold or write is bounded: nodes and edges per
pipeline, corners per polygon (and their coordinates), points per trajectory and per event, and a webhook's queue
(count and bytes) and time per delivery. Every refusal names the node and field, as any other setting error."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from pydantic import ValidationError
from support import make_detections, make_frame

import blocks.sinks.webhook as webhook
from blocks.rules.line_crossing import LineCrossing
from blocks.sinks.webhook import FAILED_FILE, Webhook, WebhookConfig
from workbench.core.block import StreamContext
from workbench.core.errors import PipelineInvalid
from workbench.core.events import EVENT_TRAJECTORY_POINTS, Event
from workbench.core.registry import default_registry
from workbench.core.shapes import MAX_POLYGON_POINTS
from workbench.engine.spec import MAX_EDGES, MAX_NODES, PipelineSpec, spec_from_yaml
from workbench.engine.validate import validate


def many_nodes_yaml(nodes: int, edges: int = 0) -> str:
    lines = ["version: 1", "meta: {name: big}", "nodes:"]
    lines += [f"  - {{id: n{i}, type: filters/class@v1}}" for i in range(nodes)]
    lines += ["edges:"] + [f"  - {{from: n0.detections, to: n{i % nodes}.detections}}" for i in range(edges)] \
        if edges else ["edges: []"]
    return "\n".join(lines) + "\n"


def test_too_many_nodes_is_refused_naming_the_cap(tmp_path, monkeypatch, capsys):
    from workbench.apps.cli import main

    monkeypatch.setenv("WORKBENCH_LANG", "en")
    path = tmp_path / "big.yaml"
    path.write_text(many_nodes_yaml(MAX_NODES + 1), encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"has {MAX_NODES + 1} nodes; a pipeline may have at most {MAX_NODES}" in err and "Traceback" not in err
    spec_from_yaml(many_nodes_yaml(MAX_NODES))  # the cap itself is allowed


def test_too_many_edges_is_refused():
    with pytest.raises(PipelineInvalid) as err:
        spec_from_yaml(many_nodes_yaml(3, MAX_EDGES + 1), origin="p.yaml")
    (problem,) = err.value.problems
    assert (problem.code, problem.field, problem.params["limit"]) == ("spec_too_many_edges", "edges", MAX_EDGES)


def test_a_pipeline_grown_on_the_canvas_is_flagged_by_validation():
    spec = PipelineSpec.model_validate({"meta": {"name": "x"}, "nodes": [
        {"id": f"n{i}", "type": "filters/class@v1"} for i in range(MAX_NODES + 5)]})
    codes = [p.code for p in validate(spec, default_registry())]
    assert "spec_too_many_nodes" in codes


def node_problems(block_type: str, config: dict) -> list[tuple[str, str | None, str | None]]:
    spec = PipelineSpec.model_validate({"meta": {"name": "x"}, "nodes": [{"id": "n", "type": block_type,
                                                                          "config": config}]})
    return [(p.code, p.node, p.field) for p in validate(spec, default_registry()) if p.node == "n"]


def ring(n: int) -> list[list[float]]:
    import math

    return [[320 + 100 * math.cos(2 * math.pi * k / n), 180 + 100 * math.sin(2 * math.pi * k / n)] for k in range(n)]


@pytest.mark.parametrize("block_type", ["filters/roi@v1", "rules/dwell@v1", "rules/zone_enter_exit@v1",
                                        "rules/crowding@v1", "rules/stopped@v1", "rules/speed@v1",
                                        "rules/wrong_way@v1"])
def test_polygons_have_at_most_the_cap_of_corners(block_type):
    assert ("config_too_long", "n", "config.polygon") in node_problems(block_type, {"polygon": ring(101)})
    assert not [p for p in node_problems(block_type, {"polygon": ring(MAX_POLYGON_POINTS)})
                if p[2] == "config.polygon"]


def test_region_of_interest_coordinates_are_bounded():
    """supervision builds a width x height mask per zone: a corner at (10^6, 10^6) asked for a terabyte."""
    problems = node_problems("filters/roi@v1", {"polygon": [[0, 0], [1_000_000, 0], [1_000_000, 1_000_000]]})
    assert ("config_less_than_equal", "n", "config.polygon.1.0") in problems


@pytest.mark.parametrize("block_type", ["tracking/bytetrack@v1", "tracking/botsort@v1"])
def test_tracker_settings_that_grow_memory_are_capped(block_type):
    problems = node_problems(block_type, {"trajectory_length": 100_000, "track_buffer": 100_000})
    assert ("config_less_than_equal", "n", "config.trajectory_length") in problems
    assert ("config_less_than_equal", "n", "config.track_buffer") in problems
    assert [p for p in node_problems(block_type, {"trajectory_length": 3000}) if p[0] != "missing_input"] == []


def test_an_event_carries_only_the_newest_trajectory_points():
    """A track with 3000 points of history crossing a line: the event (events.jsonl, webhook, work order) stays small.
    Before, a trajectory_length of 100,000 put a 1.69 MB trajectory into every event."""
    block = LineCrossing(LineCrossing.Config(start=(100, 200), end=(500, 200)), "gate")
    state = block.start(None)
    history = [(float(k % 600), 300.0) for k in range(3000)]
    events, seen = [], {}
    for i in range(41):
        y = 300 - 5 * i
        history = seen[i] = [*history[1:], (300.0, float(y))]
        tracks = make_detections([[280, y - 80, 320, y]], tracker_ids=[1], trajectories=[history])
        events += block.process(state, make_frame(i), {"tracks": tracks})["events"]
    (event,) = events
    assert len(event.trajectory) == EVENT_TRAJECTORY_POINTS and event.trajectory == tuple(seen[event.frame][-64:])
    assert len(json.dumps(event.to_dict())) < 3000
    # whoever builds an event (a plugin's rule too) and an events file written before: the same cut
    assert len(Event(time="t", pts=0, frame=0, node="n", type="x", trajectory=tuple(history)).trajectory) == 64
    assert len(Event.from_dict({**event.to_dict(), "trajectory": history}).trajectory) == 64


# -- webhook ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("setting", [{"timeout_s": 120}, {"retries": 10}, {"backoff_s": 60}, {"queue_mb": 1000},
                                     {"headers": {f"X-{i}": "v" for i in range(21)}}])
def test_webhook_settings_beyond_the_caps_are_refused(setting):
    with pytest.raises(ValidationError):
        WebhookConfig(url="http://127.0.0.1/", **setting)


def test_webhook_caps_keep_one_delivery_near_two_minutes():
    fields = WebhookConfig.model_fields
    most = {name: next(m.le for m in fields[name].metadata if hasattr(m, "le"))
            for name in ("timeout_s", "retries", "backoff_s")}
    # The settings alone could still add up to more; the deadline (MAX_DELIVERY_S) is what holds.
    assert most == {"timeout_s": 30.0, "retries": 5, "backoff_s": 10.0}
    assert webhook.MAX_DELIVERY_S == 120.0


@pytest.fixture
def trickler():
    """A server that accepts a POST and then sends its answer one byte every 0.1 s, forever (each byte restarts
    the socket timeout, so only a deadline ends the wait)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    stop = threading.Event()

    def serve():
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                try:
                    conn.sendall(b"HTTP/1.1 200 OK\r\n")
                    while not stop.is_set():
                        conn.sendall(b"X")
                        time.sleep(0.1)
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/hook"
    stop.set()
    srv.close()


def ctx(out):
    return StreamContext(out_dir=out, source="test.mp4", fps=25.0, frame_size=(640, 360))


def event(frame: int, note: str = "") -> Event:
    return Event(time="2026-11-23T12:00:00", pts=frame / 25, frame=frame, node="r", type="zone_enter", track_id=1,
                 extra={"note": note} if note else {})


def test_a_trickling_server_cannot_hold_a_delivery_past_the_deadline(trickler, tmp_path, operator_policy,
                                                                     monkeypatch):
    operator_policy(webhook_hosts=["127.0.0.1"])
    monkeypatch.setattr(webhook, "MAX_DELIVERY_S", 1.0)
    block = Webhook(WebhookConfig(url=trickler, timeout_s=0.5, retries=5, backoff_s=0.0, drain_s=30), "hook")
    state = block.start(ctx(tmp_path))
    began = time.monotonic()
    block.process(state, make_frame(0), {"events": (event(0),)})
    facts = block.finish(state)
    assert time.monotonic() - began < 4.0
    assert (facts["sent"], facts["failed"]) == (0, 1)
    record = json.loads((tmp_path / FAILED_FILE).read_text(encoding="utf-8"))
    assert "gave up after 1 s" in record["error"]


def test_webhook_queue_is_bounded_in_bytes_and_counts_what_it_refused(trickler, tmp_path, operator_policy,
                                                                      monkeypatch):
    operator_policy(webhook_hosts=["127.0.0.1"])
    monkeypatch.setattr(webhook, "MAX_DELIVERY_S", 0.5)
    block = Webhook(WebhookConfig(url=trickler, timeout_s=0.5, retries=0, queue_mb=0.1, drain_s=0.2), "hook")
    state = block.start(ctx(tmp_path))
    big = "x" * 30_000  # ~30 KB per event: the 100 KB queue holds three while the first is being (not) delivered
    block.process(state, make_frame(0), {"events": tuple(event(0, big) for _ in range(10))})
    facts = block.finish(state)
    assert facts["queue_full"] >= 5 and facts["sent"] == 0 and facts["failed"] == 10
    lines = (tmp_path / FAILED_FILE).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 10  # refused, timed out or not sent before the end: none lost
    assert sum("delivery queue full" in json.loads(x)["error"] for x in lines) == facts["queue_full"]
