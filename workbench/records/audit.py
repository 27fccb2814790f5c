"""The audit trail: who did what, when, to what, with the state before and after; append-only and tamper-evident.

Each record carries the SHA-256 of the one before it (format in docs/decisions.md): a record changed, removed or
moved in the database breaks the chain, and `verify()` names the first record where it breaks. Appends are
serialized (workbench.records.serial), so two processes writing at once never fork the chain. `record()` is the one
call feature code makes: `audit.record(actor, "run.start", run_id, after={...})`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select, update

from workbench.records.database import open_database
from workbench.records.roles import Actor, Permission, acting, require
from workbench.records.serial import lock_select, serialized
from workbench.records.tables import audit_head, audit_log

GENESIS = "0" * 64  # the "previous hash" of record 1
LIMITS = {"actor": 200, "action": 100, "target": 500}


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: str  # ISO 8601 UTC with microseconds, e.g. 2026-12-08T01:13:41.123456Z
    actor: str
    action: str
    target: str
    before: str | None  # canonical JSON text, as stored and hashed
    after: str | None
    prev_hash: str
    hash: str

    def values(self) -> tuple[Any, Any]:
        """`before` and `after` as Python values."""
        return tuple(None if text is None else json.loads(text) for text in (self.before, self.after))


@dataclass(frozen=True)
class Finding:
    """Where the chain breaks: `kind` is changed | removed | reordered | relinked; `other` a second record number."""

    seq: int
    kind: str
    other: int | None = None


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text kept as is; values JSON cannot hold (dates, paths) as their text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str)


def record_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) of the canonical JSON of the record's fields with `prev_hash` among them."""
    content = {name: fields[name] for name in ("seq", "at", "actor", "action", "target", "before", "after")}
    return hashlib.sha256(canonical_json({**content, "prev_hash": prev_hash}).encode("utf-8")).hexdigest()


def actor_name(actor: Actor | str | None) -> str:
    return actor if isinstance(actor, str) else acting(actor).name


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(actor: Actor | str | None, action: str, target: str, before: Any = None, after: Any = None, *,
           engine: Engine | None = None) -> AuditRecord:
    """Append one record (actor None: the OS user running this process) and return it."""
    engine = engine or open_database()
    fields: dict[str, Any] = {"actor": actor_name(actor), "action": action, "target": str(target)}
    fields = {name: value[:LIMITS[name]] for name, value in fields.items()}
    fields["before"] = None if before is None else canonical_json(before)
    fields["after"] = None if after is None else canonical_json(after)
    with serialized(engine, lock_select(audit_head, id=1)) as connection:
        head = connection.execute(select(audit_head).where(audit_head.c.id == 1)).one()
        fields.update(seq=head.seq + 1, at=_now())
        entry = AuditRecord(**fields, prev_hash=head.hash, hash=record_hash(fields, head.hash))
        connection.execute(audit_log.insert().values(**asdict(entry)))
        connection.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=entry.seq, hash=entry.hash))
    return entry


def _filtered(since: str | None, until: str | None, actor: str | None, action: str | None):
    query = select(audit_log).order_by(audit_log.c.seq)
    if since:
        query = query.where(audit_log.c.at >= utc_text(since))
    if until:
        query = query.where(audit_log.c.at < utc_text(until))
    if actor:
        query = query.where(audit_log.c.actor == actor)
    if action:  # "user" matches user.add, user.roles...; "user.add" only itself
        query = query.where((audit_log.c.action == action) | audit_log.c.action.startswith(f"{action}.",
                                                                                            autoescape=True))
    return query


def utc_text(moment: str | datetime) -> str:
    """A time (ISO 8601 text or datetime; without a zone: UTC) in the trail's text form, comparable as text."""
    value = datetime.fromisoformat(moment.replace("Z", "+00:00")) if isinstance(moment, str) else moment
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entries(since: str | None = None, until: str | None = None, actor: str | None = None, action: str | None = None,
            *, engine: Engine | None = None, reader: Actor | None = None) -> Iterator[AuditRecord]:
    """The records in order, filtered by time [since, until), actor name and action (or action group); the reader
    needs audit.read (None: the OS user)."""
    require(reader, Permission.AUDIT_READ)
    engine = engine or open_database()
    with engine.connect() as connection:
        for row in connection.execute(_filtered(since, until, actor, action)).yield_per(1000):
            yield AuditRecord(**row._asdict())


def count(engine: Engine | None = None) -> int:
    with (engine or open_database()).connect() as connection:
        return int(connection.execute(select(func.count()).select_from(audit_log)).scalar_one())


def verify(engine: Engine | None = None) -> tuple[int, Finding | None]:
    """(records checked, the first place the chain breaks or None when it is whole)."""
    engine = engine or open_database()
    prev, expected = GENESIS, 1
    for entry in entries(engine=engine):
        if entry.seq != expected:
            return expected - 1, Finding(expected, "removed")
        if entry.prev_hash != prev:
            other = _seq_with_hash(engine, entry.prev_hash)
            return expected - 1, Finding(entry.seq, "reordered" if other is not None else "relinked", other)
        if record_hash(asdict(entry), entry.prev_hash) != entry.hash:
            return expected - 1, Finding(entry.seq, "changed")
        prev, expected = entry.hash, expected + 1
    with engine.connect() as connection:
        head = connection.execute(select(audit_head).where(audit_head.c.id == 1)).one()
    if head.seq >= expected:  # the newest records were deleted
        return expected - 1, Finding(expected, "removed")
    if head.hash != prev:
        return expected - 1, Finding(expected - 1, "changed")
    return expected - 1, None


def _seq_with_hash(engine: Engine, value: str) -> int | None:
    with engine.connect() as connection:
        return connection.execute(select(audit_log.c.seq).where(audit_log.c.hash == value)).scalars().first()


def head(engine: Engine | None = None) -> tuple[int, str]:
    """The newest record's number and hash (write them down elsewhere to anchor the trail)."""
    with (engine or open_database()).connect() as connection:
        row = connection.execute(select(audit_head).where(audit_head.c.id == 1)).one()
    return row.seq, row.hash
