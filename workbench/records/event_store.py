"""The event store: every event of every run, camera group and batch in one table (`events`, Alembic revision
`events_0001`), written idempotently and read by time, camera, site, rule and class.

A row is one event of one *source* — one run of one pipeline on one camera or clip (`EventSource.id`, e.g.
`run:<run id>`, `serve:<folder>/<camera>`, `batch:<folder>@<start>/<clip>`) — at its position `seq` in that source's
event stream (the order the rules raised them, which is the order of the run folder's events.jsonl). (source_id,
seq) is unique: writing an event twice (a live writer, then an ingest of the same run folder) adds nothing.
Each `insert_events` call is one transaction: a killed writer leaves whole batches or nothing of a batch.

Times are stored as naive UTC (both backends); an event's local clock time without offset is read as this machine's
local time. Filters are bound parameters, never SQL text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

metadata = MetaData()

events = Table(
    "events", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("source_id", String(500), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("time", DateTime, nullable=False),  # naive UTC
    Column("camera", String(200), nullable=False),
    Column("site", String(200), nullable=False),
    Column("pipeline", String(200), nullable=False),
    Column("pipeline_version", String(50), nullable=False),
    Column("node", String(200), nullable=False),  # the rule node that raised it
    Column("type", String(50), nullable=False),
    Column("class_name", String(100), nullable=False),
    Column("track_id", Integer, nullable=True),
    Column("region", String(200), nullable=False),
    Column("direction", String(20), nullable=False),
    Column("value", Float, nullable=True),
    Column("confidence", Float, nullable=True),
    Column("frame", Integer, nullable=False),
    Column("pts", Float, nullable=False),
    Column("snapshot", String(1000), nullable=False),  # absolute path of the JPEG crop, or ""
    Column("attributes", JSON, nullable=False),  # bbox, trajectory, extra, work_order, source
    UniqueConstraint("source_id", "seq", name="uq_events_source_seq"),
)

FILTERS = ("camera", "site", "node", "class_name", "type", "source_id")
ATTRIBUTE_KEYS = ("bbox", "trajectory", "extra", "work_order", "source")


@dataclass(frozen=True)
class EventSource:
    """Where events come from: the id that makes their key, and what every event of the source shares."""

    id: str
    camera: str = ""
    site: str = ""
    pipeline: str = ""
    pipeline_version: str = ""
    folder: str = ""  # the run's output folder: a snapshot path relative to it is stored absolute
    first_seq: int = 0  # the first event's position (a camera of a camera group continues across restarts)


def to_utc(text_or_time: str | datetime) -> datetime:
    """Naive UTC from an ISO 8601 text or a datetime; without an offset it is this machine's local time."""
    moment = datetime.fromisoformat(text_or_time) if isinstance(text_or_time, str) else text_or_time
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def local_text(utc: datetime) -> str:
    """A stored naive UTC time as local ISO 8601 with its offset."""
    return utc.replace(tzinfo=timezone.utc).astimezone().isoformat()


def event_row(source: EventSource, seq: int, event: dict[str, Any]) -> dict[str, Any]:
    """The row of one event (an Event.to_dict(), or a line of events.jsonl) at position `seq` of `source`."""
    snapshot = str(event.get("snapshot") or "")
    if snapshot and source.folder and not snapshot.startswith("/"):
        snapshot = f"{source.folder.rstrip('/')}/{snapshot}"
    track = event.get("track_id")
    return {
        "source_id": source.id, "seq": seq, "time": to_utc(str(event["time"])),
        "camera": str(source.camera or event.get("camera") or ""), "site": source.site,
        "pipeline": source.pipeline, "pipeline_version": source.pipeline_version,
        "node": str(event.get("node", "")), "type": str(event.get("type", "")),
        "class_name": str(event.get("class_name") or ""), "track_id": None if track is None else int(track),
        "region": str(event.get("region") or ""), "direction": str(event.get("direction") or ""),
        "value": event.get("value"), "confidence": event.get("confidence"),
        "frame": int(event.get("frame", 0)), "pts": float(event.get("pts", 0.0)), "snapshot": snapshot,
        "attributes": {k: event[k] for k in ATTRIBUTE_KEYS if event.get(k) not in (None, "", [], {})},
    }


def insert_rows(engine: Engine, rows: Sequence[dict[str, Any]]) -> int:
    """Insert `rows` in one transaction, skipping any whose (source_id, seq) is stored; returns rows added."""
    if not rows:
        return 0
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(events).on_conflict_do_nothing(index_elements=["source_id", "seq"])
    with engine.begin() as connection:  # (RETURNING would count too, but makes psycopg parse one huge statement)
        if engine.dialect.name == "sqlite":
            return connection.execute(statement, list(rows)).rowcount
        before = _stored(connection, rows)
        connection.execute(statement, list(rows))
        return _stored(connection, rows) - before


def _stored(connection: Any, rows: Sequence[dict[str, Any]]) -> int:
    """Rows stored at the sources and positions of `rows` (seen from the inserting transaction)."""
    total = 0
    for source_id in {r["source_id"] for r in rows}:
        seqs = [r["seq"] for r in rows if r["source_id"] == source_id]
        total += connection.execute(select(func.count()).select_from(events).where(
            events.c.source_id == source_id, events.c.seq.between(min(seqs), max(seqs)))).scalar_one()
    return total


@dataclass(frozen=True)
class EventQuery:
    """What to look for: a time range [since, until) and equality filters; every value is data, never SQL."""

    since: datetime | None = None  # naive UTC
    until: datetime | None = None
    camera: str | None = None
    site: str | None = None
    node: str | None = None  # the rule
    class_name: str | None = None
    type: str | None = None
    source_id: str | None = None

    def where(self) -> list[Any]:
        conditions = [events.c[name] == getattr(self, name) for name in FILTERS if getattr(self, name) is not None]
        if self.since is not None:
            conditions.append(events.c.time >= self.since)
        if self.until is not None:
            conditions.append(events.c.time < self.until)
        return conditions


def find_events(engine: Engine, query: EventQuery, limit: int | None = 1000,
                newest_first: bool = False) -> list[dict[str, Any]]:
    """Matching events, oldest first (or newest first), at most `limit`."""
    order = (events.c.time.desc(), events.c.id.desc()) if newest_first else (events.c.time, events.c.id)
    statement = select(events).where(*query.where()).order_by(*order).limit(limit)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(statement)]


def iter_events(engine: Engine, query: EventQuery, chunk: int = 5000) -> Iterator[dict[str, Any]]:
    """Every matching event, oldest first, read in chunks (for exports of any size)."""
    last: tuple[datetime, int] | None = None
    while True:
        statement = select(events).where(*query.where())
        if last is not None:
            statement = statement.where((events.c.time > last[0]) |
                                        ((events.c.time == last[0]) & (events.c.id > last[1])))
        with engine.connect() as connection:
            rows = [dict(r._mapping) for r in connection.execute(
                statement.order_by(events.c.time, events.c.id).limit(chunk))]
        yield from rows
        if len(rows) < chunk:
            return
        last = (rows[-1]["time"], rows[-1]["id"])


def count_events(engine: Engine, query: EventQuery) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(events).where(*query.where())).scalar_one()


def counts_by_hour(engine: Engine, query: EventQuery) -> list[tuple[str, int]]:
    """(hour 'YYYY-MM-DD HH' in UTC, events) for the matching events, in time order."""
    if engine.dialect.name == "postgresql":
        hour = func.to_char(func.date_trunc("hour", events.c.time), "YYYY-MM-DD HH24")
    else:
        hour = func.strftime("%Y-%m-%d %H", events.c.time)
    statement = select(hour.label("hour"), func.count()).where(*query.where()).group_by("hour").order_by("hour")
    with engine.connect() as connection:
        return [(str(h), int(n)) for h, n in connection.execute(statement)]


def rows_of(source: EventSource, found: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for events in source order, numbered from `source.first_seq`."""
    return [event_row(source, source.first_seq + i, e) for i, e in enumerate(found)]
