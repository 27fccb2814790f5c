"""Sign-in on SQLite and PostgreSQL: wrong passwords, unknown names, lockout across restarts, sessions."""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pytest
from records_support import FAST, PASSWORD, make_user
from sqlalchemy import select

from workbench.core.errors import WorkbenchError
from workbench.records import audit
from workbench.records.accounts import reset_password, set_disabled, set_roles
from workbench.records.database import forget_engines, open_database
from workbench.records.sign_in import (
    SignInSettings,
    change_password,
    claim_first_start,
    first_start_token,
    sign_in,
    sign_out,
    validate_session,
)
from workbench.records.tables import sessions, users


def _code(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.problems[0].code


def test_sign_in_gives_a_session_whose_token_is_stored_only_hashed(database_url: str) -> None:
    make_user("ann", ["builder"])
    session = sign_in("ann", PASSWORD, FAST)
    actor = validate_session(session.token)
    assert (actor.name, actor.district, actor.roles) == ("ann", "haidian", frozenset({"builder"}))
    with open_database().connect() as connection:
        stored = connection.execute(select(sessions.c.token_hash)).scalars().all()
        hashes = connection.execute(select(users.c.password_hash)).scalars().all()
    assert session.token not in stored and len(stored) == 1
    assert hashes[0].startswith("$argon2id$") and PASSWORD not in hashes[0]


def test_wrong_password_and_unknown_user_get_the_same_answer_in_comparable_time(database_url: str) -> None:
    make_user("ann", ["viewer"])
    patient = SignInSettings(free_failures=100, lockout_after=100)  # many tries, none made to wait
    answers: dict[str, set[str]] = {"ann": set(), "nobody": set()}
    times: dict[str, list[float]] = {"ann": [], "nobody": []}
    for name in ["ann", "nobody"] * 4:  # taking turns, so a busy machine slows both alike
        started = time.perf_counter()
        with pytest.raises(WorkbenchError) as excinfo:
            sign_in(name, "wrong password!", patient)
        times[name].append(time.perf_counter() - started)
        answers[name].add(str(excinfo.value))
    assert answers["ann"] == answers["nobody"] and len(answers["ann"]) == 1
    assert "wrong" in answers["ann"].pop()
    ratio = statistics.median(times["ann"]) / statistics.median(times["nobody"])
    assert 0.5 < ratio < 2.0  # both did the argon2 work
    actions = [(e.action, e.target) for e in audit.entries()]
    assert ("sign_in.failed", "ann") in actions and ("sign_in.failed", "nobody") in actions


def test_repeated_failures_make_the_next_try_wait_even_with_the_right_password(database_url: str) -> None:
    make_user("ann", ["viewer"])
    slow = SignInSettings(free_failures=2, first_delay=timedelta(seconds=30), lockout_after=4)
    for _ in range(2):
        with pytest.raises(WorkbenchError) as excinfo:
            sign_in("ann", "not the password", slow)
        assert _code(excinfo) == "sign_in_failed"
    with pytest.raises(WorkbenchError) as excinfo:
        sign_in("ann", PASSWORD, slow)
    assert _code(excinfo) == "sign_in_wait"
    assert 20 <= int(re.search(r"in (\d+) s", str(excinfo.value)).group(1)) <= 30


def test_lockout_holds_across_a_restart(database_url: str) -> None:
    make_user("ann", ["viewer"])
    for _ in range(4):
        with pytest.raises(WorkbenchError):
            sign_in("ann", "not the password", FAST)
        time.sleep(0.01)  # past the short delay FAST asks for
    forget_engines()  # "restart": a new engine, nothing kept in memory
    with pytest.raises(WorkbenchError) as excinfo:
        sign_in("ann", PASSWORD, FAST)
    assert _code(excinfo) == "sign_in_locked"
    assert "15 min" in str(excinfo.value)


def test_unknown_names_are_locked_like_known_ones(database_url: str) -> None:
    for _ in range(4):
        with pytest.raises(WorkbenchError):
            sign_in("ghost", "not the password", FAST)
        time.sleep(0.01)
    with pytest.raises(WorkbenchError) as excinfo:
        sign_in("ghost", "still not", FAST)
    assert _code(excinfo) == "sign_in_locked"


def test_expired_forged_and_signed_out_sessions_are_refused(database_url: str) -> None:
    make_user("ann", ["viewer"])
    short = sign_in("ann", PASSWORD, SignInSettings(session_lifetime=timedelta(milliseconds=1)))
    time.sleep(0.01)
    with pytest.raises(WorkbenchError) as excinfo:
        validate_session(short.token)
    assert _code(excinfo) == "session_expired"
    good = sign_in("ann", PASSWORD, FAST)
    for forged in (good.token[:-1] + ("A" if good.token[-1] != "A" else "B"), "", "x" * 5000, None):
        with pytest.raises(WorkbenchError) as excinfo:
            validate_session(forged)
        assert _code(excinfo) == "session_invalid"
    sign_out(good.token)
    with pytest.raises(WorkbenchError):
        validate_session(good.token)


def test_role_changes_apply_at_once_and_disabling_ends_sessions(database_url: str) -> None:
    make_user("root", ["admin"])
    make_user("ann", ["viewer"])
    session = sign_in("ann", PASSWORD, FAST)
    set_roles(None, "ann", ["builder", "trainer"])
    assert validate_session(session.token).roles == {"builder", "trainer"}
    set_disabled(None, "ann")
    with pytest.raises(WorkbenchError):
        validate_session(session.token)
    with pytest.raises(WorkbenchError) as excinfo:
        sign_in("ann", PASSWORD, FAST)
    assert _code(excinfo) == "sign_in_disabled"
    roles = next(iter(audit.entries(action="user.roles")))
    assert roles.actor.startswith("system:") and roles.values() == (
        {"disabled": False, "display_name": "ann", "district": "haidian", "roles": ["viewer"]},
        {"disabled": False, "display_name": "ann", "district": "haidian", "roles": ["builder", "trainer"]})


def test_password_change_needs_the_old_one_and_ends_other_sessions(database_url: str) -> None:
    make_user("ann", ["viewer"])
    here, elsewhere = sign_in("ann", PASSWORD, FAST), sign_in("ann", PASSWORD, FAST)
    with pytest.raises(WorkbenchError) as excinfo:
        change_password(here.token, "not the old one", "a new long password", FAST)
    assert _code(excinfo) == "sign_in_failed"
    change_password(here.token, PASSWORD, "a new long password", FAST)
    assert validate_session(here.token).name == "ann"
    with pytest.raises(WorkbenchError):
        validate_session(elsewhere.token)
    with pytest.raises(WorkbenchError):
        sign_in("ann", PASSWORD, FAST)
    reset_password(None, "ann", "set by the admin")
    assert sign_in("ann", "set by the admin", FAST).actor.name == "ann"


def test_first_start_token_makes_one_admin_once(database_url: str) -> None:
    old = first_start_token()
    token = first_start_token()  # a new start: only the newest printed token works
    assert old and token and old != token
    with pytest.raises(WorkbenchError):
        claim_first_start(old, "chief", PASSWORD)
    session = claim_first_start(token, "chief", PASSWORD, district="haidian")
    assert session.actor.roles == {"admin"} and validate_session(session.token).name == "chief"
    with pytest.raises(WorkbenchError) as excinfo:
        claim_first_start(token, "second", PASSWORD)
    assert _code(excinfo) == "setup_token_invalid"
    assert first_start_token() is None  # an account exists: no token, no default password
    assert [e.actor for e in audit.entries(action="user.add")] == ["first-start-token"]


def test_script_and_html_in_names_are_stored_and_given_back_as_text(database_url: str) -> None:
    name = "<script>alert('x')</script>\"; DROP TABLE users; --"
    make_user(name, ["viewer"], district="<b>east</b>")
    session = sign_in(name, PASSWORD, FAST)
    assert validate_session(session.token).name == name
    assert validate_session(session.token).district == "<b>east</b>"
    assert [e.target for e in audit.entries(action="sign_in")] == [name]


def test_a_hash_made_with_older_parameters_is_redone_at_sign_in(database_url: str) -> None:
    from argon2 import PasswordHasher
    from sqlalchemy import update

    from workbench.records.accounts import hasher

    make_user("ann", ["viewer"])
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with open_database().begin() as connection:
        connection.execute(update(users).values(password_hash=weak))
    sign_in("ann", PASSWORD, FAST)
    with open_database().connect() as connection:
        stored = connection.execute(select(users.c.password_hash)).scalar_one()
    assert stored != weak and not hasher().check_needs_rehash(stored)
    assert sign_in("ann", PASSWORD, FAST).actor.name == "ann"


def test_old_failures_are_forgotten_so_sprayed_names_do_not_pile_up(database_url: str) -> None:
    from workbench.records.tables import sign_in_failures

    forgetful = SignInSettings(free_failures=2, first_delay=timedelta(milliseconds=1), lockout_after=3,
                               forget_failures_after=timedelta(milliseconds=50))
    for name in ("ghost1", "ghost1", "ghost2"):
        with pytest.raises(WorkbenchError) as excinfo:
            sign_in(name, "not the password", forgetful)
        assert _code(excinfo) == "sign_in_failed"
    time.sleep(0.1)
    with pytest.raises(WorkbenchError) as excinfo:
        sign_in("ghost1", "not the password", forgetful)
    assert _code(excinfo) == "sign_in_failed"  # counting starts anew: no wait, no lock
    with open_database().connect() as connection:
        kept = connection.execute(select(sign_in_failures.c.name, sign_in_failures.c.failures)).all()
    assert [tuple(row) for row in kept] == [("ghost1", 1)]
