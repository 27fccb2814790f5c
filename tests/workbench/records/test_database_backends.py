"""The records database on both backends the workbench supports (the `database_url` fixture of tests/conftest.py)."""

from __future__ import annotations

from sqlalchemy import text

from workbench.records.database import open_database


def test_open_database_reaches_the_configured_backend(database_url: str) -> None:
    engine = open_database()  # no URL: WORKBENCH_DATABASE_URL, set by the fixture
    assert engine.dialect.name == database_url.split(":")[0].split("+")[0]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
