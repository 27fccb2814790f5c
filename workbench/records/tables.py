"""The tables of the accounts and audit stores (their schema is made by the Alembic revisions in migrations/versions/:
`accounts_0001`, `audit_0001`). Times are naive UTC on both backends; the audit trail keeps its time as text so the
hashed value is exactly the stored one."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text

metadata = MetaData()

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False, default=""),
    Column("district", String(100), nullable=False, default=""),
    Column("roles", String(200), nullable=False, default=""),  # comma-separated, sorted
    Column("password_hash", String(300), nullable=False),  # argon2id, PHC string
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    Column("password_changed_at", DateTime, nullable=False),
)

sessions = Table(
    "sessions", metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the token; the token itself is never stored
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False, index=True),
)

sign_in_failures = Table(  # by the name typed, known or not, so an unknown name behaves like a known one
    "sign_in_failures", metadata,
    Column("name", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime, nullable=False),
    Column("locked_until", DateTime, nullable=True),
)

setup_tokens = Table(  # the one-time token that creates the first admin
    "setup_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False, index=True),  # ISO 8601 UTC, microseconds, "Z"
    Column("actor", String(200), nullable=False, index=True),
    Column("action", String(100), nullable=False, index=True),
    Column("target", String(500), nullable=False),
    Column("before", Text, nullable=True),  # canonical JSON
    Column("after", Text, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(  # one row: the newest record's number and hash; its row lock serializes appends on PostgreSQL
    "audit_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
