"""Turn events into work orders in a durable SQLite queue that staff dispatch and close later.

Besides the block, a tiny API for the app: `list_orders(db, status)` and `set_status(db, id, status)`.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import Field

from workbench.core.block import Block, BlockConfig, StreamContext
from workbench.core.errors import BlockError
from workbench.core.events import Event
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port
from workbench.core.write_paths import writable_path

STATUSES = ("open", "dispatched", "closed")  # closed set; an order starts open

_SCHEMA = """
CREATE TABLE IF NOT EXISTS work_orders (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dispatched', 'closed')),
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    site TEXT NOT NULL DEFAULT '',
    camera TEXT NOT NULL DEFAULT '',
    event_time TEXT NOT NULL DEFAULT '',
    event_type TEXT NOT NULL DEFAULT '',
    track_id INTEGER,
    class_name TEXT NOT NULL DEFAULT '',
    region TEXT NOT NULL DEFAULT '',
    trajectory TEXT NOT NULL DEFAULT '[]',
    snapshot TEXT NOT NULL DEFAULT '',
    event TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS work_orders_status ON work_orders (status, created);
"""


def connect(db: str | Path, create: bool = True) -> sqlite3.Connection:
    """Open a work-order queue (WAL mode, so the app can read while a run writes); `create=False`: it must exist."""
    target = str(db) if create else Path(db).resolve().as_uri() + "?mode=rw"
    conn = sqlite3.connect(target, timeout=10.0, check_same_thread=False, uri=not create)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def list_orders(db: str | Path, status: str | None = None) -> list[dict[str, Any]]:
    """Orders, oldest first, optionally only those with `status`; trajectory and event are decoded from JSON.

    A queue file that does not exist yet has no orders.
    """
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    if not Path(db).is_file():
        return []
    conn = connect(db, create=False)
    try:
        sql = "SELECT * FROM work_orders" + (" WHERE status = ?" if status else "") + " ORDER BY created, rowid"
        rows = conn.execute(sql, (status,) if status else ()).fetchall()
    finally:
        conn.close()
    orders = []
    for row in rows:
        order = dict(row)
        order["trajectory"] = json.loads(order["trajectory"] or "[]")
        order["event"] = json.loads(order["event"] or "{}")
        orders.append(order)
    return orders


def set_status(db: str | Path, order_id: str, status: str) -> None:
    """Move an order to `status` (one of STATUSES). ValueError for an unknown status, KeyError for an unknown id."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    if not Path(db).is_file():
        raise KeyError(order_id)
    conn = connect(db, create=False)
    try:
        with conn:
            cur = conn.execute("UPDATE work_orders SET status = ?, updated = ? WHERE id = ?",
                               (status, _now(), order_id))
        if cur.rowcount == 0:
            raise KeyError(order_id)
    finally:
        conn.close()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _event_seconds(event: Event) -> float:
    """Event clock time in seconds (for de-duplication); falls back to pts when the time does not parse."""
    try:
        return datetime.fromisoformat(event.time).timestamp()
    except (TypeError, ValueError):
        return event.pts


class WorkOrderConfig(BlockConfig):
    database: str = Field("work_orders.sqlite", min_length=1, max_length=1000,
                          description="SQLite file of the queue: a name is kept in the run folder; an absolute path "
                                      "(inside a folder the operator's write_dirs lists) lets many runs and cameras "
                                      "share one queue")
    site: str = Field("", max_length=200, description="Site the camera watches (e.g. the construction site's name)")
    event_types: tuple[str, ...] = Field((), max_length=50,
                                         description="Event types that create orders (e.g. stopped, wrong_way); "
                                                     "empty = every event")
    dedupe_seconds: float = Field(60.0, ge=0.0, le=86400.0,
                                  description="The same rule, track and event type within this many seconds "
                                              "joins the existing order instead of opening a new one; 0 = off")


@dataclass
class _State:
    conn: sqlite3.Connection | None
    camera: str
    db_path: str = ""
    created: int = 0
    recent: dict[tuple, tuple[float, str]] = field(default_factory=dict)  # dedupe key -> (seconds, order id)


class WorkOrder(Block[WorkOrderConfig]):
    """Create a work order (status open) for each chosen event in a SQLite queue; events get the order id."""

    type_id = "sinks/work_order@v1"
    Config = WorkOrderConfig
    inputs = (Port("events", Kind.EVENTS, many=True, description="Events from one or more rules"),)
    outputs = (Port("events", Kind.EVENTS, description="The same events, with the work order id filled in"),)
    write_fields = ("database",)

    def start(self, ctx: StreamContext) -> _State:
        camera = ctx.camera or ctx.source
        relative = not Path(self.config.database).expanduser().is_absolute()
        if relative and ctx.out_dir is None:  # a preview without a run folder opens no orders
            return _State(conn=None, camera=camera)
        # inside the run folder or a folder the operator's write_dirs lists (symlinks and '..' resolved), else refused
        path = writable_path(self.config.database, ctx.out_dir, self.node_id, "database")
        if relative:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise BlockError("work_order_db", self.node_id, "database", path=str(path),
                                 detail=exc.strerror or str(exc)) from None
        if not path.parent.is_dir():
            raise BlockError("work_order_db", self.node_id, "database", path=str(path),
                             detail="the folder does not exist")
        try:
            conn = connect(path)
        except sqlite3.Error as exc:
            raise BlockError("work_order_db", self.node_id, "database", path=str(path), detail=str(exc)) from None
        return _State(conn=conn, camera=camera, db_path=str(path))

    def process(self, state: _State, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        events: tuple[Event, ...] = inputs.get("events", ())
        if state.conn is None or not events:
            return {"events": tuple(events)}
        return {"events": tuple(self._order(state, ev) for ev in events)}

    def _order(self, state: _State, event: Event) -> Event:
        if self.config.event_types and event.type not in self.config.event_types:
            return event
        # the same rule, type and track (or region, for events without a track) is one problem, not several
        key = (event.source or state.camera, event.node, event.type, event.track_id,
               event.region if event.track_id is None else "")
        seconds = _event_seconds(event)
        previous = state.recent.get(key)
        window = self.config.dedupe_seconds
        if previous is not None and window > 0 and abs(seconds - previous[0]) <= window:
            return dataclasses.replace(event, work_order=previous[1])
        created = datetime.now(timezone.utc)
        order_id = f"WO-{created:%Y%m%d}-{uuid.uuid4().hex[:8]}"
        event = dataclasses.replace(event, work_order=order_id)
        row = (order_id, created.isoformat(timespec="milliseconds"), created.isoformat(timespec="milliseconds"),
               self.config.site, state.camera, event.time, event.type, event.track_id, event.class_name,
               event.region, json.dumps([list(p) for p in event.trajectory]), event.snapshot,
               json.dumps(event.to_dict(), ensure_ascii=False))
        try:
            with state.conn:  # one transaction (commit) per order: an order is durable once the event moves on
                state.conn.execute(
                    "INSERT INTO work_orders (id, status, created, updated, site, camera, event_time, event_type, "
                    "track_id, class_name, region, trajectory, snapshot, event) "
                    "VALUES (?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        except sqlite3.Error as exc:
            raise BlockError("work_order_db", self.node_id, "database", path=state.db_path, detail=str(exc)) from None
        state.recent[key] = (seconds, order_id)
        state.created += 1
        return event

    def finish(self, state: _State) -> dict[str, Any]:
        if state.conn is None:
            return {}
        state.conn.close()
        state.conn = None
        return {"database": self.config.database, "orders": state.created}
