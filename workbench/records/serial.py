"""Transactions that hold the database's write lock, so concurrent writers (the app, a camera group, a CLI) queue up
instead of interleaving: `BEGIN IMMEDIATE` on SQLite, a row lock (`SELECT ... FOR UPDATE`) on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table, select
from sqlalchemy.dialects import postgresql, sqlite


@contextmanager
def serialized(engine: Engine, lock_row: Any = None) -> Iterator[Connection]:
    """A connection in a transaction that holds the write lock; committed on leaving, rolled back on an error.

    `lock_row` (a select of one row) is locked on PostgreSQL; SQLite locks the whole database anyway."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")  # the driver starts no transaction itself
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # waits (busy_timeout) for another writer to finish
            try:
                yield connection
            except BaseException:
                connection.exec_driver_sql("ROLLBACK")
                raise
            connection.exec_driver_sql("COMMIT")
        return
    with engine.begin() as connection:
        if lock_row is not None:
            connection.execute(lock_row.with_for_update())
        yield connection


def upsert(connection: Connection, table: Table, values: dict[str, Any], key: list[str], update: dict[str, Any]):
    """INSERT ... ON CONFLICT (key) DO UPDATE SET update, RETURNING every column (SQLite and PostgreSQL)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values)
    statement = statement.on_conflict_do_update(index_elements=key, set_=update).returning(*table.c)
    return connection.execute(statement).one()


def lock_select(table: Table, **where: Any):
    """`SELECT * FROM table WHERE col = value ...` for `serialized(lock_row=...)`."""
    return select(table).where(*(table.c[name] == value for name, value in where.items()))
