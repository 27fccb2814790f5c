"""POST events as JSON to a web address, from a background thread so delivery never stalls the video.

Failures (after retries) are not lost: each undelivered event is written to webhook_failed.jsonl in the run folder.
What waits to be sent is bounded by count (queue_size) and by size (queue_mb); one delivery, retries and waits
included, never holds the sender longer than MAX_DELIVERY_S.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from blocks.sinks._common import run_folder
from workbench.core.block import Block, BlockConfig, StreamContext
from workbench.core.errors import BlockError, Problem
from workbench.core.events import Event
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port
from workbench.core.policy import OperatorPolicy, env_allowed, host_allowed, operator_policy, policy_setting
from workbench.core.write_paths import writable_path

FAILED_FILE = "webhook_failed.jsonl"
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# One delivery (an event, or a frame's events with batch) holds the sender at most this long, whatever the settings
# and however slowly the server answers: attempts, the waits between them and an answer trickled byte by byte all
# count (the connection is shut when the time is up). The caps on timeout_s, retries and backoff_s keep the settings
# near it; what is not delivered in time goes to webhook_failed.jsonl like any failure.
MAX_DELIVERY_S = 120.0
ANSWER_BYTES = 65536  # of the server's answer body read (and thrown away); a huge answer is not kept in memory


class WebhookConfig(BlockConfig):
    url: str = Field("", max_length=2000, description="Address that receives each event as a JSON POST (http/https)")
    allowed_hosts: tuple[str, ...] = Field(
        (), max_length=50,
        description="Narrows the operator's webhook_hosts further (e.g. alerts.city.gov.cn); empty: as the operator "
                    "allows. A pipeline can never allow a host the operator's policy does not")
    batch: bool = Field(False, description="One POST per frame as {\"frame\": n, \"events\": [...]} "
                                           "instead of one POST per event")
    timeout_s: float = Field(5.0, ge=0.1, le=30.0, description="Seconds to wait for the server to answer one POST")
    retries: int = Field(3, ge=0, le=5, description="Retries after a failed POST (network error, 5xx, 408, 429); "
                                                    "one delivery gives up after 2 minutes in all")
    backoff_s: float = Field(0.5, ge=0.0, le=10.0, description="Seconds before the first retry; doubles each time")
    headers: dict[str, str] = Field(
        default_factory=dict, max_length=20,
        description="Extra HTTP headers, e.g. {\"X-Source\": \"camera-3\"}; kept in the pipeline file in plain text")
    headers_env: dict[str, str] = Field(
        default_factory=dict, max_length=20,
        description="Headers whose value is read from an environment variable when the run starts, "
                    "e.g. {\"Authorization\": \"ALERT_TOKEN\"}: keeps secrets out of the pipeline file. Only "
                    "variables the operator's webhook_header_env lists may be read")
    queue_size: int = Field(1000, ge=1, le=100000,
                            description="Deliveries waiting to be sent; beyond this they go to webhook_failed.jsonl")
    queue_mb: float = Field(16.0, ge=0.1, le=64.0,
                            description="Megabytes of deliveries (as JSON) waiting to be sent; beyond this they go "
                                        "to webhook_failed.jsonl")
    drain_s: float = Field(10.0, ge=0.0, le=600.0,
                           description="At the end of a run, wait at most this many seconds for unsent deliveries")

    @field_validator("headers", "headers_env")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not _HEADER_NAME.match(name) or "\r" in text or "\n" in text:
                raise ValueError(f"header {name!r} is not a valid HTTP header name/value")
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(h.strip().lower() for h in value if h.strip())


def reach_problems(cfg: WebhookConfig, node: str, policy: OperatorPolicy) -> list[Problem]:
    """Why this webhook may not post on this machine (address, host, header variables), or nothing: the operator's
    policy decides, the pipeline's own allowed_hosts can only narrow it."""
    parts = urlsplit(cfg.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [Problem("webhook_bad_url", node=node, field="url")]
    problems = []
    host = parts.hostname.lower()
    if not host_allowed(host, parts.port, policy.webhook_hosts):
        problems.append(Problem("webhook_host_not_in_policy", node=node, field="url", params={
            "host": host, "allowed": ", ".join(policy.webhook_hosts) or "-",
            "setting": policy_setting("webhook_hosts")}))
    elif cfg.allowed_hosts and not host_allowed(host, parts.port, cfg.allowed_hosts):
        problems.append(Problem("webhook_host_not_allowed", node=node, field="url", params={
            "host": host, "allowed": ", ".join(cfg.allowed_hosts)}))
    problems += [Problem("webhook_env_not_in_policy", node=node, field=f"headers_env.{header}", params={
        "name": variable, "header": header, "setting": policy_setting("webhook_header_env")})
        for header, variable in cfg.headers_env.items() if not env_allowed(variable, policy.webhook_header_env)]
    return problems


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could lead outside the allow-list: treat it as a failed delivery instead of following it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _Watch:
    """The connection of the attempt in flight, shut when the delivery's time is up: a server that trickles its answer
    a byte at a time would otherwise restart the socket timeout forever."""

    def __init__(self) -> None:
        self.conn: http.client.HTTPConnection | None = None
        self.expired = False

    def connection_class(self, http_class: type) -> Any:
        def make(host: str, **kwargs: Any) -> http.client.HTTPConnection:
            self.conn = http_class(host, **kwargs)
            return self.conn
        return make

    def cut(self) -> None:
        self.expired = True
        sock = getattr(self.conn, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)


class _WatchedOpen:
    """Handler mix-in: a request carrying a `watch` opens its connection through it."""

    def do_open(self, http_class: type, req: urllib.request.Request, **kwargs: Any) -> Any:
        watch = getattr(req, "watch", None)
        return super().do_open(watch.connection_class(http_class) if watch else http_class,  # type: ignore[misc]
                               req, **kwargs)


class _HTTPHandler(_WatchedOpen, urllib.request.HTTPHandler):
    pass


class _HTTPSHandler(_WatchedOpen, urllib.request.HTTPSHandler):
    pass


@dataclass
class _Sender:
    """The background delivery thread of one stream, its bounded queue and its counts."""

    url: str
    headers: dict[str, str]
    config: WebhookConfig
    failed_path: Path
    name: str
    sent: int = 0
    failed: int = 0
    requests: int = 0
    queue_full: int = 0  # events refused because queue_size or queue_mb was reached (also counted in failed)
    record_error: str = ""
    _queued_bytes: int = 0
    _queue: queue.Queue = field(init=False)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _failed_file: IO[str] | None = None
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self._queue = queue.Queue(maxsize=self.config.queue_size)
        self._opener = urllib.request.build_opener(_NoRedirect, _HTTPHandler, _HTTPSHandler)

    def submit(self, payload: Any, events: list[dict[str, Any]]) -> None:
        if self._thread is None:  # started on the first event: a stream that never starts leaves no thread behind
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        with self._lock:  # the size bound: what is queued is counted in bytes too, and refused like a full queue
            fits = self._queued_bytes + len(body) <= self.config.queue_mb * 1_000_000
            if fits:
                self._queued_bytes += len(body)
        if fits:
            try:
                self._queue.put_nowait((body, events))
                return
            except queue.Full:
                with self._lock:
                    self._queued_bytes -= len(body)
        with self._lock:
            self.queue_full += len(events)
        self._record(events, "delivery queue full (the server is too slow or down)", 0)

    def _run(self) -> None:
        while True:
            try:
                job = self._queue.get(timeout=0.1)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            if job is None:
                return
            body, events = job
            with self._lock:
                self._queued_bytes -= len(body)
            if self._stop.is_set():
                self._record(events, "not sent before the end of the run", 0)
                continue
            try:
                self._deliver(body, events)
            except Exception as exc:  # never let the thread die: record and carry on
                self._record(events, f"{type(exc).__name__}: {exc}", 0)

    def _deliver(self, body: bytes, events: list[dict[str, Any]]) -> None:
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "video-workbench", **self.headers}
        error, attempts = "", 0
        deadline = time.monotonic() + MAX_DELIVERY_S
        out_of_time = f"gave up after {MAX_DELIVERY_S:.0f} s, the most one delivery may take"
        for attempt in range(self.config.retries + 1):
            if attempt:
                wait = self.config.backoff_s * 2 ** (attempt - 1)
                if time.monotonic() + wait >= deadline:
                    error = f"{error}; {out_of_time}" if error else out_of_time
                    break
                if self._stop.wait(wait):
                    break  # the run is over and the wait for the queue has ended
            left = deadline - time.monotonic()
            attempts += 1
            with self._lock:
                self.requests += 1
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            request.watch = watch = _Watch()  # type: ignore[attr-defined]
            timer = threading.Timer(left, watch.cut)
            timer.daemon = True
            timer.start()
            try:
                with self._opener.open(request, timeout=min(self.config.timeout_s, left)) as response:
                    response.read(ANSWER_BYTES)
                if watch.expired:  # the answer was cut short; the server may not have taken the event
                    raise TimeoutError(out_of_time)
                with self._lock:
                    self.sent += len(events)
                return
            except urllib.error.HTTPError as exc:
                error = f"HTTP {exc.code} {exc.reason}"
                if exc.code < 500 and exc.code not in (408, 429):
                    break  # the server refused this request: repeating it will not help
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                error = out_of_time if watch.expired else str(getattr(exc, "reason", exc)) or type(exc).__name__
            finally:
                timer.cancel()
        self._record(events, error, attempts)

    def _record(self, events: list[dict[str, Any]], error: str, attempts: int) -> None:
        """Keep undelivered events in webhook_failed.jsonl (one line per event) so they can be re-sent."""
        when = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._lock:
            self.failed += len(events)
            try:
                if self._failed_file is None:
                    self._failed_file = open(self.failed_path, "a", encoding="utf-8")  # noqa: SIM115
                for ev in events:
                    line = {"time": when, "error": error, "attempts": attempts, "event": ev}
                    self._failed_file.write(json.dumps(line, ensure_ascii=False) + "\n")
                self._failed_file.flush()
            except OSError as exc:
                self.record_error = exc.strerror or str(exc)

    def close(self) -> None:
        """Wait (at most drain_s) for the queue to empty, then record what is left as not sent."""
        if self._thread is not None:
            self._drain()
        with self._lock:
            if self._failed_file is not None:
                self._failed_file.close()
                self._failed_file = None

    def _drain(self) -> None:
        deadline = time.monotonic() + self.config.drain_s
        try:
            self._queue.put(None, timeout=self.config.drain_s)  # after everything already queued
            self._thread.join(max(0.0, deadline - time.monotonic()))
        except queue.Full:
            pass
        if self._thread.is_alive():
            self._stop.set()  # ends a backoff wait at once; what is still queued is recorded as not sent
            self._thread.join(self.config.timeout_s + 1.0)
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                self._record(job[1], "not sent before the end of the run", 0)


@dataclass
class _State:
    sender: _Sender | None
    host: str


class Webhook(Block[WebhookConfig]):
    """POST each event (or each frame's events) as JSON to an allowed web address, with retries in the background."""

    type_id = "sinks/webhook@v1"
    Config = WebhookConfig
    inputs = (Port("events", Kind.EVENTS, many=True, description="Events from one or more rules"),)
    outputs = ()
    outward_fields = ("url", "allowed_hosts", "headers", "headers_env")

    def start(self, ctx: StreamContext) -> _State:
        cfg = self.config
        problems = reach_problems(cfg, self.node_id, operator_policy())
        if problems:
            raise BlockError.from_problems(problems)
        host = (urlsplit(cfg.url).hostname or "").lower()
        headers = dict(cfg.headers)
        for name, variable in cfg.headers_env.items():
            if not os.environ.get(variable):
                raise BlockError("webhook_env_missing", self.node_id, "headers_env", name=variable, header=name)
            headers[name] = os.environ[variable]
        folder = run_folder(ctx, self.node_id, "url")
        if folder is None:  # a preview without a run folder sends nothing
            return _State(sender=None, host=host)
        failed_path = writable_path(FAILED_FILE, folder, self.node_id, "url")  # a symlink out is refused
        sender = _Sender(url=cfg.url, headers=headers, config=cfg, failed_path=failed_path,
                         name=f"webhook-{self.node_id}")
        return _State(sender=sender, host=host)

    def process(self, state: _State, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        events: tuple[Event, ...] = inputs.get("events", ())
        if state.sender is None or not events:
            return {}
        dicts = [ev.to_dict() for ev in events]
        if self.config.batch:
            state.sender.submit({"frame": frame.index, "events": dicts}, dicts)
        else:
            for d in dicts:
                state.sender.submit(d, [d])
        return {}

    def finish(self, state: _State) -> dict[str, Any]:
        sender = state.sender
        if sender is None:
            return {}
        state.sender = None
        sender.close()
        if sender.record_error:
            raise BlockError("sink_unwritable", self.node_id, "url", path=str(sender.failed_path),
                             detail=sender.record_error)
        facts: dict[str, Any] = {"host": state.host, "sent": sender.sent, "failed": sender.failed,
                                 "requests": sender.requests}
        if sender.failed:
            facts["failed_file"] = FAILED_FILE
        if sender.queue_full:
            facts["queue_full"] = sender.queue_full
        return facts
