"""The event store's writer: a helper process per camera process that takes events from any number of camera
threads through a bounded queue and writes them in batches, one transaction each (event_store.insert_rows).

A process, not a thread: converting and inserting events is Python work that holds the GIL, and a camera thread
coming back from OpenCV or the model waits for it (up to the 5 ms switch interval each time): a writer thread took a
camera's frame time from 1 ms to 25 ms at 2,000 events/s (benchmarks/event_store.py). Camera threads only pickle
their events into a pipe.

Feeding it never blocks: `put` returns False when the queue is full (the database is slower than the cameras, or
down); those events are not stored now and stay in the run folder's files, from which `workbench events ingest`
adds them later (the (source_id, seq) key makes that safe). A batch the database refuses is given up the same way,
with a warning on stderr naming the folder to ingest. The helper ignores Ctrl+C (the camera process flushes it
when it ends) and, when its camera process dies, writes what it already received and exits.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import types
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from workbench.core.events import Event
from workbench.core.i18n import t
from workbench.records.event_store import EventSource, event_row, insert_rows

log = logging.getLogger("workbench.records")
QUEUE_EVENTS = 50_000  # about half a minute of 8 very busy cameras; beyond it events wait in the run folders
BATCH_EVENTS = 2_000
RETRY_PAUSE_S = 1.0
SEND_EVERY_S = 0.05
_MAIN_SWAP = threading.Lock()


def _start_without_main(process: multiprocessing.process.BaseProcess) -> None:
    """Start a spawned process without re-running the parent's main script in it. Spawn re-imports
    `sys.modules["__main__"].__file__` in the child: under `streamlit run` that is the app's script, under Streamlit's
    AppTest a generated one that fails outside it (the writer then died at start and stored nothing). The writer
    needs nothing from the main script, so the parent shows it a bare `__main__` while the child is prepared."""
    with _MAIN_SWAP:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            process.start()
        finally:
            sys.modules["__main__"] = main


@dataclass
class WriterStats:
    queued: int = 0
    written: int = 0  # rows added (an event already stored counts as queued, not written)
    dropped: int = 0  # not queued: the queue was full
    failed: int = 0  # queued, but the database refused their batch
    done: int = 0  # queued events the helper has finished with (written, already stored or failed)
    dropped_sources: set[str] = field(default_factory=set)
    failed_sources: set[str] = field(default_factory=set)


class EventWriter:
    """A helper process writing queued events to the database at `url` (default: the configured one)."""

    def __init__(self, url: str | None = None, capacity: int = QUEUE_EVENTS, batch: int = BATCH_EVENTS) -> None:
        from workbench.records.database import database_url

        self.url, self.capacity = url or database_url(), capacity
        self.stats = WriterStats()
        self._warned: set[str] = set()
        self._lock = threading.Lock()
        self._waiting: collections.deque[tuple[EventSource, int, list[Any]]] = collections.deque()
        self._wake = threading.Event()
        self._closing = False
        context = multiprocessing.get_context("spawn")
        self._pipe, child_end = context.Pipe()
        self._process = context.Process(target=_serve, args=(self.url, batch, child_end, os.getpid()),
                                        name="event-writer", daemon=True)
        _start_without_main(self._process)
        child_end.close()
        self._sender = threading.Thread(target=self._send, name="event-writer-send", daemon=True)
        self._sender.start()

    def put(self, source: EventSource, first_seq: int, events: Sequence[Any]) -> bool:
        """Queue `events` (Event objects or dicts) as positions first_seq, first_seq+1... of `source`; never waits.
        False when they did not fit: they stay only in the run folder until it is ingested."""
        with self._lock:
            full = self.stats.queued - self.stats.done + len(events) > self.capacity or self._closing
            if full:
                self.stats.dropped += len(events)
                self.stats.dropped_sources.add(source.id)
            else:
                self.stats.queued += len(events)
                self._waiting.append((source, first_seq, list(events)))
        if full:
            self._warn_once(source, "records.events_queue_full")
            return False
        self._wake.set()
        return True

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued so far is written (or given up); False on timeout."""
        deadline = time.monotonic() + timeout
        while self.stats.done < self.stats.queued and time.monotonic() < deadline:
            if not self._process.is_alive():
                return False
            time.sleep(0.01)
        return self.stats.done >= self.stats.queued

    def close(self, timeout: float = 30.0) -> bool:
        done = self.flush(timeout)
        self._closing = True
        self._wake.set()
        self._sender.join(timeout=5.0)
        self._process.join(timeout=5.0)
        return done

    def _send(self) -> None:
        """Hand what the cameras queued to the helper every SEND_EVERY_S, pickled at once (one short GIL hold), and
        read its reports; a slow database makes this thread wait, never a camera."""
        while True:
            self._wake.wait(SEND_EVERY_S)
            time.sleep(SEND_EVERY_S)  # gather a few frames' events per hand-over
            self._wake.clear()
            items = []
            while self._waiting:
                items.append(self._waiting.popleft())
            try:
                if items:
                    self._pipe.send_bytes(pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL))
                while self._pipe.poll():
                    self._count(*self._pipe.recv())
                if self._closing and not self._waiting:
                    self._pipe.send_bytes(b"")
                    while self._process.is_alive() or self._pipe.poll():
                        if self._pipe.poll(0.1):
                            self._count(*self._pipe.recv())
                    return
            except (EOFError, OSError):  # the helper is gone: what is left stays in the run folders
                return

    def _count(self, handled: int, written: int, failed_sources: tuple[str, ...]) -> None:
        with self._lock:
            self.stats.done += handled
            self.stats.written += written
            if failed_sources:
                self.stats.failed += handled - written
                self.stats.failed_sources.update(failed_sources)

    def _warn_once(self, source: EventSource, key: str, **params: Any) -> None:
        if source.id not in self._warned:
            self._warned.add(source.id)
            log.warning(t(key, source=source.id, folder=source.folder or "?", **params))


def _serve(url: str, batch: int, pipe: Any, parent: int) -> None:
    """The helper process: receive events, write them in batches; end on an empty message or when the parent is
    gone (after writing what it sent)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group: the camera process decides
    from workbench.records.database import open_database

    engine, warned, pending, stop = None, set(), [], False
    while not stop or pending:
        try:
            while not stop and len(pending) < batch and pipe.poll(0.05 if pending else 0.5):
                data = pipe.recv_bytes()
                if not data:
                    stop = True
                    break
                pending += [(s, seq + i, e) for s, seq, events in pickle.loads(data) for i, e in enumerate(events)]
        except (EOFError, OSError):
            stop = True
        if not pending:
            stop = stop or os.getppid() != parent
            continue
        chunk, pending = pending[:batch], pending[batch:]
        try:
            engine = engine or open_database(url)
            report = (len(chunk), insert_rows(engine, [_row(s, seq, e) for s, seq, e in chunk]), ())
        except Exception as exc:  # the database is down or refuses: the events stay in the run folders
            sources = {s.id: s for s, _, _ in chunk}
            report = (len(chunk), 0, tuple(sources))
            for source in sources.values():
                if source.id not in warned:
                    warned.add(source.id)
                    log.warning(t("records.events_not_stored", source=source.id, folder=source.folder or "?",
                                  detail=f"{type(exc).__name__}: {exc}"))
            time.sleep(RETRY_PAUSE_S)
        with contextlib.suppress(OSError, EOFError):  # the camera process is gone: go on writing what it sent
            pipe.send(report)


def _row(source: EventSource, seq: int, event: Any) -> dict[str, Any]:
    """The row of an Event or event dict; an Event's fields are read as they are (Event.to_dict deep-copies its
    trajectory: 150 us an event, most of the writer's time)."""
    if not isinstance(event, dict):
        event = {name: getattr(event, name) for name in _EVENT_FIELDS}
    return event_row(source, seq, event)


_EVENT_FIELDS = tuple(f.name for f in fields(Event))


_shared: dict[str, EventWriter] = {}
_shared_lock = threading.Lock()


def shared_writer() -> EventWriter:
    """The process's writer for the configured database (one helper, shared by every camera); flushed at exit."""
    from workbench.records.database import database_url

    url = database_url()
    with _shared_lock:
        if url not in _shared or not _shared[url]._process.is_alive():  # a new one after a fork or a crash
            _shared[url] = EventWriter(url)
            # registered after multiprocessing's own exit handler (which terminates helpers), so it runs first
            atexit.unregister(_close_shared)
            atexit.register(_close_shared)
        return _shared[url]


def _close_shared() -> None:
    for writer in list(_shared.values()):
        writer.close(timeout=10.0)


def record_now(source: EventSource, events: Sequence[dict[str, Any]], url: str | None = None,
               batch: int = BATCH_EVENTS) -> int | None:
    """Write a finished source's events at once (off any frame loop: a batch's driver, an ingest), one transaction
    per `batch`; rows added, or None (with a warning) when the database refused."""
    from workbench.records.database import open_database
    from workbench.records.event_store import rows_of

    added = 0
    try:
        engine = open_database(url)
        rows = rows_of(source, events)
        for start in range(0, len(rows), batch):
            added += insert_rows(engine, rows[start:start + batch])
    except Exception as exc:  # the events stay in the folder; ingest adds them later
        log.warning(t("records.events_not_stored", source=source.id, folder=source.folder or "?",
                      detail=f"{type(exc).__name__}: {exc}"))
        return None
    return added
