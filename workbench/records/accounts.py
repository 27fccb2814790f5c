"""Local user accounts: name, display name, district, roles, an argon2 password hash, enabled or not.

Managing them needs `Permission.USERS_MANAGE` (an admin, or the OS user on the CLI); every change is in the audit
trail with the state before and after (never a password hash). There is no default password: the first admin comes
from `workbench users add NAME --role admin` or the first-start token (workbench.records.sign_in). Sign-in and
sessions: workbench.records.sign_in.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from argon2 import PasswordHasher
from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from workbench.core.errors import Problem, WorkbenchError
from workbench.records import audit
from workbench.records.database import open_database
from workbench.records.roles import SYSTEM_PREFIX, Actor, Permission, check_roles, require
from workbench.records.tables import sessions, users

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a megabyte "password" is only a way to waste CPU


@dataclass(frozen=True)
class User:
    """An account as the admin page and `workbench users list` show it."""

    name: str
    display_name: str
    district: str
    roles: frozenset[str]
    disabled: bool

    def actor(self) -> Actor:
        return Actor(self.name, self.district or None, self.roles)

    def state(self) -> dict[str, object]:
        """What the audit trail records before and after a change."""
        return {"display_name": self.display_name, "district": self.district, "roles": sorted(self.roles),
                "disabled": self.disabled}


@cache
def hasher() -> PasswordHasher:
    """argon2id with the library's recommended parameters (RFC 9106); hashes made with older ones are redone."""
    return PasswordHasher()


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _fail(code: str, field: str | None = None, **params: object) -> WorkbenchError:
    return WorkbenchError([Problem(code, field=field, params=params)])


def check_name(name: str) -> str:
    """The name stripped; `user_bad_name` when empty, too long, with control characters or the system prefix."""
    name = name.strip()
    bad = (not name or len(name) > 200 or name.startswith(SYSTEM_PREFIX)
           or any(unicodedata.category(c).startswith("C") for c in name))
    if bad:
        raise _fail("user_bad_name", "name", name=name[:60], prefix=SYSTEM_PREFIX)
    return name


def check_password(name: str, password: str) -> None:
    """`password_too_short` / `password_too_long` / `password_is_name` for a password that should not be used."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _fail("password_too_short", "password", minimum=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise _fail("password_too_long", "password", maximum=MAX_PASSWORD_LENGTH)
    if password.strip().casefold() == name.strip().casefold():
        raise _fail("password_is_name", "password")


def _user(row) -> User:
    return User(row.name, row.display_name, row.district, frozenset(r for r in row.roles.split(",") if r),
                row.disabled)


def _get(connection: Connection, name: str):
    row = connection.execute(select(users).where(users.c.name == name)).one_or_none()
    if row is None:
        raise _fail("user_unknown", "name", name=name)
    return row


def count_users(engine: Engine | None = None) -> int:
    with (engine or open_database()).connect() as connection:
        return int(connection.execute(select(func.count()).select_from(users)).scalar_one())


def get_user(name: str, engine: Engine | None = None) -> User:
    with (engine or open_database()).connect() as connection:
        return _user(_get(connection, name))


def list_users(actor: Actor | None = None, engine: Engine | None = None) -> list[User]:
    require(actor, Permission.USERS_MANAGE)
    with (engine or open_database()).connect() as connection:
        return [_user(row) for row in connection.execute(select(users).order_by(users.c.name))]


def insert_user(connection: Connection, name: str, password: str, roles: frozenset[str], district: str = "",
                display_name: str = "") -> User:
    """Insert a checked new account in an open transaction (`user_exists` when the name is taken)."""
    name = check_name(name)
    check_password(name, password)
    now = utcnow()
    try:
        connection.execute(users.insert().values(
            name=name, display_name=display_name.strip() or name, district=district.strip(),
            roles=",".join(sorted(check_roles(roles))), password_hash=hasher().hash(password), disabled=False,
            created_at=now, password_changed_at=now))
    except IntegrityError:
        raise _fail("user_exists", "name", name=name) from None
    return _user(_get(connection, name))


def add_user(actor: Actor | None, name: str, password: str, roles: list[str] | frozenset[str], district: str = "",
             display_name: str = "", engine: Engine | None = None) -> User:
    """Create an account (needs users.manage); recorded as `user.add`."""
    actor = require(actor, Permission.USERS_MANAGE)
    engine = engine or open_database()
    with engine.begin() as connection:
        user = insert_user(connection, name, password, frozenset(roles), district, display_name)
    audit.record(actor, "user.add", user.name, after=user.state(), engine=engine)
    return user


def _active_admins(connection: Connection) -> list[str]:
    rows = connection.execute(select(users.c.name, users.c.roles).where(users.c.disabled.is_(False)))
    return [row.name for row in rows if "admin" in row.roles.split(",")]


def _change(actor: Actor | None, name: str, action: str, engine: Engine | None, **values: object) -> User:
    """Update one account's columns, keep one active admin, drop its sessions when asked; audit before/after."""
    actor = require(actor, Permission.USERS_MANAGE)
    engine = engine or open_database()
    with engine.begin() as connection:
        before = _user(_get(connection, name))
        connection.execute(update(users).where(users.c.name == name).values(**values))
        after = _user(_get(connection, name))
        if not before.disabled and "admin" in before.roles and not _active_admins(connection):
            raise _fail("user_last_admin", "roles", name=name)  # nobody would be left to undo it
        if after.disabled or "password_hash" in values:
            connection.execute(delete(sessions).where(sessions.c.user_id == _get(connection, name).id))
    audit.record(actor, action, name, before=before.state(), after=after.state(), engine=engine)
    return after


def set_roles(actor: Actor | None, name: str, roles: list[str] | frozenset[str], engine: Engine | None = None) -> User:
    """Replace an account's roles; recorded as `user.roles`."""
    return _change(actor, name, "user.roles", engine, roles=",".join(sorted(check_roles(roles))))


def set_disabled(actor: Actor | None, name: str, disabled: bool = True, engine: Engine | None = None) -> User:
    """Disable (its sessions end at once) or enable an account; recorded as `user.disable` / `user.enable`."""
    return _change(actor, name, "user.disable" if disabled else "user.enable", engine, disabled=disabled)


def reset_password(actor: Actor | None, name: str, password: str, engine: Engine | None = None) -> User:
    """An admin sets someone's password (their sessions end); recorded as `user.password_reset`."""
    check_password(name, password)
    return _change(actor, name, "user.password_reset", engine, password_hash=hasher().hash(password),
                   password_changed_at=utcnow())
