"""Helpers for the records tests: accounts made directly in the configured database (the `database_url` fixture)."""

from __future__ import annotations

from datetime import timedelta

from workbench.records.accounts import add_user
from workbench.records.sign_in import SignInSettings

PASSWORD = "correct horse battery"
FAST = SignInSettings(session_lifetime=timedelta(hours=1), free_failures=2, first_delay=timedelta(milliseconds=1),
                      lockout_after=4, lockout=timedelta(minutes=15))


def make_user(name: str, roles: list[str], district: str = "haidian", password: str = PASSWORD):
    """An account added by the OS user (the CLI's actor)."""
    return add_user(None, name, password, roles, district)
