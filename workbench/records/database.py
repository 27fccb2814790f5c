"""The one database of records: where it is, how to connect, and bringing its schema up to date.

`WORKBENCH_DATABASE_URL` names it (e.g. `postgresql+psycopg://workbench@db.city.local/workbench`); without it the
database is `<workbench home>/records.db` (SQLite). `open_database()` returns an engine whose schema is migrated to
the newest revision of every store (Alembic, `migrations/versions/`; each store is its own branch, labelled with its
name, so stores evolve independently). A password in the URL is never printed: `display_url()` hides it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.paths import workbench_home

DATABASE_URL_ENV = "WORKBENCH_DATABASE_URL"
MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 10_000  # a second writer (a camera group beside the app) waits instead of failing

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def database_url() -> str:
    """The configured URL, or the SQLite file in the workbench home."""
    configured = os.environ.get(DATABASE_URL_ENV, "").strip()
    return configured or f"sqlite:///{workbench_home() / 'records.db'}"


def display_url(url: str) -> str:
    """The URL with its password hidden (for messages and logs)."""
    return make_url(url).render_as_string(hide_password=True)


def open_database(url: str | None = None) -> Engine:
    """An engine on `url` (default: `database_url()`), schema migrated; one engine per URL and process."""
    url = url or database_url()
    with _lock:
        if url not in _engines:
            engine = _create(url)
            try:
                upgrade(engine)
            except OperationalError as err:  # unreachable, wrong password, no such database: the URL's fault
                engine.dispose()
                detail = str(err.orig or err).split("\n")[0].replace(make_url(url).password or "\0", "***")
                raise WorkbenchError([Problem("db_unreachable", field=DATABASE_URL_ENV, params={
                    "field": DATABASE_URL_ENV, "url": display_url(url), "detail": detail})]) from None
            _engines[url] = engine
        return _engines[url]


def upgrade(engine: Engine) -> None:
    """Migrate every store's branch to its newest revision (idempotent)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def forget_engines() -> None:
    """Close and forget the cached engines (tests that switch homes or URLs)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _create(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except Exception as err:  # sqlalchemy raises ArgumentError with the URL in it: keep the password out
        raise WorkbenchError([Problem("db_bad_url", field=DATABASE_URL_ENV,
                                      params={"field": DATABASE_URL_ENV, "url": display_url_safe(url)})]) from err
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise WorkbenchError([Problem("db_unsupported", field=DATABASE_URL_ENV,
                                      params={"field": DATABASE_URL_ENV, "backend": parsed.get_backend_name()})])
    return create_engine(url, pool_pre_ping=True)


def display_url_safe(url: str) -> str:
    """Best effort for a URL SQLAlchemy cannot parse: everything between '://' and '@' hidden."""
    head, sep, rest = url.partition("://")
    return f"{head}{sep}***@{rest.rpartition('@')[2]}" if "@" in rest else url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; a killed writer leaves no half rows
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
