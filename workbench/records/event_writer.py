"""The event store's writer: one thread per process that takes events from any number of camera threads through a
bounded queue and writes them in batches, one transaction each (event_store.insert_rows).

Feeding it never blocks: `put` returns False when the queue is full (the database is slower than the cameras, or
down); those events are not stored now and stay in the run folder's files, from which `workbench events ingest`
adds them later (the (source_id, seq) key makes that safe). A batch the database refuses is given up the same way,
with a warning on stderr naming the folder to ingest.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.core.i18n import t
from workbench.records.event_store import EventSource, event_row, insert_rows

log = logging.getLogger("workbench.records")
QUEUE_EVENTS = 50_000  # about a minute of 8 busy cameras; beyond it events wait in the run folders
BATCH_EVENTS = 2_000
RETRY_PAUSE_S = 1.0


@dataclass
class WriterStats:
    queued: int = 0
    written: int = 0  # rows added (an event already stored counts as queued, not written)
    dropped: int = 0  # not queued: the queue was full
    failed: int = 0  # queued, but the database refused their batch
    dropped_sources: set[str] = field(default_factory=set)
    failed_sources: set[str] = field(default_factory=set)


class EventWriter:
    """A background thread writing queued events to the database at `url` (default: the configured one)."""

    def __init__(self, url: str | None = None, capacity: int = QUEUE_EVENTS, batch: int = BATCH_EVENTS) -> None:
        self.url, self.batch = url, batch
        self.queue: queue.Queue[tuple[EventSource, int, Any]] = queue.Queue(maxsize=capacity)
        self.stats = WriterStats()
        self._warned: set[str] = set()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="event-writer", daemon=True)
        self._thread.start()

    def put(self, source: EventSource, first_seq: int, events: Sequence[Any]) -> bool:
        """Queue `events` (Event objects or dicts) as positions first_seq, first_seq+1... of `source`; never waits.
        False when (some of) them did not fit: they stay only in the run folder until it is ingested."""
        for i, event in enumerate(events):
            try:
                self.queue.put_nowait((source, first_seq + i, event))
            except queue.Full:
                self.stats.dropped += len(events) - i
                self.stats.dropped_sources.add(source.id)
                self._warn_once(source, "records.events_queue_full")
                return False
            self.stats.queued += 1
        return True

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued so far is written (or given up); False on timeout."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.queue.unfinished_tasks

    def close(self, timeout: float = 30.0) -> bool:
        done = self.flush(timeout)
        self._closing.set()
        self._thread.join(timeout=1.0)
        return done

    def _loop(self) -> None:
        engine = None
        while not self._closing.is_set():
            try:
                first = self.queue.get(timeout=0.1)
            except queue.Empty:
                continue
            items = [first]
            while len(items) < self.batch:
                try:
                    items.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                if engine is None:
                    from workbench.records.database import open_database

                    engine = open_database(self.url)
                self.stats.written += insert_rows(engine, [_row(s, seq, e) for s, seq, e in items])
            except Exception as exc:  # the database is down or refuses: the events stay in the run folders
                self.stats.failed += len(items)
                for source in {s for s, _, _ in items}:
                    self.stats.failed_sources.add(source.id)
                    self._warn_once(source, "records.events_not_stored", detail=f"{type(exc).__name__}: {exc}")
                time.sleep(RETRY_PAUSE_S)
            finally:
                for _ in items:
                    self.queue.task_done()

    def _warn_once(self, source: EventSource, key: str, **params: Any) -> None:
        if source.id not in self._warned:
            self._warned.add(source.id)
            log.warning(t(key, source=source.id, folder=source.folder or "?", **params))


def _row(source: EventSource, seq: int, event: Any) -> dict[str, Any]:
    return event_row(source, seq, event if isinstance(event, dict) else event.to_dict())


_shared: dict[str, EventWriter] = {}
_shared_lock = threading.Lock()


def shared_writer() -> EventWriter:
    """The process's writer for the configured database (one thread, shared by every camera); flushed at exit."""
    from workbench.records.database import database_url

    url = database_url()
    with _shared_lock:
        if url not in _shared:
            _shared[url] = EventWriter(url)
        return _shared[url]


@atexit.register
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
