"""Sign-in, sessions and the first admin.

`sign_in(name, password)` returns a `Session` whose random token the app keeps for the browser; the database holds
only its SHA-256, so a copy of the database signs nobody in. Every page render calls `validate_session(token)` for
the `Actor` (one indexed query; benchmarks/sign_in.py). A wrong password and an unknown name get the same answer
after the same argon2 work. Failures are counted per name typed, in the database (so they hold across restarts):
after `free_failures` each further attempt must wait (doubling), after `lockout_after` the name is locked for
`lockout`. With no account yet, `first_start_token()` gives a one-time token (stored hashed) that
`claim_first_start()` turns into the first admin.
"""

from __future__ import annotations

import hashlib
import math
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, case, delete, select, update

from workbench.core.errors import Problem, WorkbenchError
from workbench.records import audit
from workbench.records.accounts import (
    MAX_PASSWORD_LENGTH,
    check_password,
    count_users,
    hasher,
    insert_user,
    utcnow,
)
from workbench.records.database import open_database
from workbench.records.roles import Actor
from workbench.records.serial import lock_select, serialized, upsert
from workbench.records.tables import sessions, setup_tokens, sign_in_failures, users

SESSION_HOURS_ENV = "WORKBENCH_SESSION_HOURS"
ANONYMOUS = "anonymous"  # the actor of a failed sign-in: nobody is known yet
FIRST_START = "first-start-token"


@dataclass(frozen=True)
class SignInSettings:
    """How long a session lives and how repeated failures slow down and lock a name."""

    session_lifetime: timedelta = field(default_factory=lambda: timedelta(hours=_session_hours()))
    free_failures: int = 3  # failures in a row before each further attempt has to wait
    first_delay: timedelta = timedelta(seconds=2)  # that wait, doubled with each further failure
    lockout_after: int = 10  # failures in a row that lock the name
    lockout: timedelta = timedelta(minutes=15)
    forget_failures_after: timedelta = timedelta(hours=24)  # a failure this much later starts counting anew
    setup_token_lifetime: timedelta = timedelta(hours=24)


def _session_hours() -> float:
    try:
        hours = float(os.environ.get(SESSION_HOURS_ENV, "") or 8)
    except ValueError:
        hours = 8.0
    return hours if hours > 0 else 8.0


@dataclass(frozen=True)
class Session:
    token: str  # give it to the browser; never stored
    actor: Actor
    expires_at: datetime  # UTC


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _fail(code: str, field: str | None = None, **params: object) -> WorkbenchError:
    return WorkbenchError([Problem(code, field=field, params=params)])


@cache
def _dummy_hash() -> str:
    """A hash nobody knows the password of, made with the current parameters: unknown names cost the same work."""
    return hasher().hash(secrets.token_urlsafe(16))


def _password_matches(stored: str, password: str) -> bool:
    try:
        return hasher().verify(stored, password[:MAX_PASSWORD_LENGTH + 1])
    except (VerificationError, InvalidHashError):
        return False


def _refusal(throttle, settings: SignInSettings, now: datetime) -> WorkbenchError:
    seconds = max(1, math.ceil((throttle.locked_until - now).total_seconds()))
    if throttle.failures >= settings.lockout_after:
        return _fail("sign_in_locked", "name", minutes=math.ceil(seconds / 60))
    return _fail("sign_in_wait", "name", seconds=seconds)


def _count_failure(engine: Engine, key: str, settings: SignInSettings, now: datetime) -> int:
    table = sign_in_failures
    fresh = table.c.last_failure_at > now - settings.forget_failures_after
    with engine.begin() as connection:
        ended = table.c.locked_until.is_(None) | (table.c.locked_until <= now)
        connection.execute(delete(table).where(~fresh, ended, table.c.name != key))  # names tried long ago go
        row = upsert(connection, table, {"name": key, "failures": 1, "last_failure_at": now, "locked_until": None},
                     ["name"], {"failures": case((fresh, table.c.failures + 1), else_=1), "last_failure_at": now})
        failures = row.failures
        if failures >= settings.lockout_after:
            wait: timedelta | None = settings.lockout
        elif failures >= settings.free_failures:
            wait = settings.first_delay * 2 ** (failures - settings.free_failures)
        else:
            wait = None
        connection.execute(update(table).where(table.c.name == key).values(
            locked_until=now + wait if wait else None))
    return failures


def check_credentials(name: str, password: str, settings: SignInSettings | None = None,
                      engine: Engine | None = None):
    """The user's row when `password` is theirs; else the same refusal for every cause, counted against the name."""
    settings, engine = settings or SignInSettings(), engine or open_database()
    dummy = _dummy_hash()  # made on the process's first sign-in, whatever the name: no name pays for it alone
    key, now = name.strip()[:200], utcnow()
    with engine.connect() as connection:
        throttle = connection.execute(select(sign_in_failures).where(sign_in_failures.c.name == key)).one_or_none()
        row = connection.execute(select(users).where(users.c.name == key)).one_or_none()
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        audit.record(ANONYMOUS, "sign_in.refused", key, after={"failures": throttle.failures}, engine=engine)
        raise _refusal(throttle, settings, now)
    matches = _password_matches(row.password_hash if row is not None else dummy, password)
    if not matches or row is None:
        failures = _count_failure(engine, key, settings, now)
        audit.record(ANONYMOUS, "sign_in.failed", key, after={"failures": failures}, engine=engine)
        raise _fail("sign_in_failed", "password")
    with engine.begin() as connection:
        connection.execute(delete(sign_in_failures).where(sign_in_failures.c.name == key))
        if hasher().check_needs_rehash(row.password_hash):  # parameters changed since: store the stronger hash
            connection.execute(update(users).where(users.c.id == row.id).values(password_hash=hasher().hash(password)))
    return row


def sign_in(name: str, password: str, settings: SignInSettings | None = None, engine: Engine | None = None) -> Session:
    """A new session for the account, or `sign_in_failed` / `sign_in_wait` / `sign_in_locked` / `sign_in_disabled`."""
    settings, engine = settings or SignInSettings(), engine or open_database()
    row = check_credentials(name, password, settings, engine)
    if row.disabled:
        audit.record(row.name, "sign_in.refused", row.name, after={"disabled": True}, engine=engine)
        raise _fail("sign_in_disabled", "name", name=row.name)
    token, now = secrets.token_urlsafe(32), utcnow()
    expires = now + settings.session_lifetime
    with engine.begin() as connection:
        connection.execute(delete(sessions).where(sessions.c.expires_at <= now))  # tidy: ended sessions go
        connection.execute(sessions.insert().values(token_hash=token_hash(token), user_id=row.id, created_at=now,
                                                    expires_at=expires))
    audit.record(row.name, "sign_in", row.name, after={"expires_at": expires.isoformat()}, engine=engine)
    roles = frozenset(r for r in row.roles.split(",") if r)
    return Session(token, Actor(row.name, row.district or None, roles), expires)


def validate_session(token: str | None, engine: Engine | None = None) -> Actor:
    """The signed-in actor for a session token; `session_invalid` (unknown, forged, signed out, account disabled)
    or `session_expired`. Roles and district are read anew, so a change applies on the next page."""
    if not token or len(token) > 200:
        raise _fail("session_invalid")
    query = (select(users.c.name, users.c.district, users.c.roles, users.c.disabled, sessions.c.expires_at)
             .join(users, users.c.id == sessions.c.user_id).where(sessions.c.token_hash == token_hash(token)))
    with (engine or open_database()).connect() as connection:
        row = connection.execute(query).one_or_none()
    if row is None or row.disabled:
        raise _fail("session_invalid")
    if row.expires_at <= utcnow():
        raise _fail("session_expired")
    return Actor(row.name, row.district or None, frozenset(r for r in row.roles.split(",") if r))


def sign_out(token: str, engine: Engine | None = None) -> None:
    """End the session (an unknown token: nothing to do)."""
    engine = engine or open_database()
    query = select(users.c.name).join(sessions, users.c.id == sessions.c.user_id)
    with engine.begin() as connection:
        name = connection.execute(query.where(sessions.c.token_hash == token_hash(token))).scalar_one_or_none()
        connection.execute(delete(sessions).where(sessions.c.token_hash == token_hash(token)))
    if name is not None:
        audit.record(name, "sign_out", name, engine=engine)


def change_password(token: str, old: str, new: str, settings: SignInSettings | None = None,
                    engine: Engine | None = None) -> None:
    """The signed-in user changes their own password (the old one is checked like a sign-in); their other
    sessions end."""
    engine = engine or open_database()
    actor = validate_session(token, engine)
    check_password(actor.name, new)
    row = check_credentials(actor.name, old, settings, engine)
    with engine.begin() as connection:
        connection.execute(update(users).where(users.c.id == row.id).values(
            password_hash=hasher().hash(new), password_changed_at=utcnow()))
        connection.execute(delete(sessions).where(sessions.c.user_id == row.id,
                                                  sessions.c.token_hash != token_hash(token)))
    audit.record(actor, "password.change", actor.name, engine=engine)


def first_start_token(settings: SignInSettings | None = None, engine: Engine | None = None) -> str | None:
    """With no account yet: a new one-time token for creating the first admin (print it where the operator reads
    the server's output, never on a page); an earlier unused token stops working. With accounts: None."""
    settings, engine = settings or SignInSettings(), engine or open_database()
    if count_users(engine):
        return None
    token, now = secrets.token_urlsafe(24), utcnow()
    with serialized(engine) as connection:
        connection.execute(delete(setup_tokens))
        connection.execute(setup_tokens.insert().values(token_hash=token_hash(token), created_at=now,
                                                        expires_at=now + settings.setup_token_lifetime))
    audit.record(None, "first_admin.token", FIRST_START, engine=engine)
    return token


def claim_first_start(token: str, name: str, password: str, district: str = "", display_name: str = "",
                      settings: SignInSettings | None = None, engine: Engine | None = None) -> Session:
    """Create the first admin with the first-start token (once) and sign them in; `setup_token_invalid` otherwise."""
    settings, engine = settings or SignInSettings(), engine or open_database()
    digest = token_hash(token or "")
    with serialized(engine, lock_select(setup_tokens, token_hash=digest)) as connection:
        row = connection.execute(select(setup_tokens).where(setup_tokens.c.token_hash == digest)).one_or_none()
        taken = connection.execute(select(users.c.id).limit(1)).first() is not None
        if row is None or row.expires_at <= utcnow() or taken:
            raise _fail("setup_token_invalid", "token")
        connection.execute(delete(setup_tokens))
        user = insert_user(connection, name, password, frozenset({"admin"}), district, display_name)
    audit.record(FIRST_START, "user.add", user.name, after=user.state(), engine=engine)
    return sign_in(user.name, password, settings, engine)
