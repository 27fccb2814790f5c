"""`workbench users` as an operator uses it, on SQLite and PostgreSQL: the OS user is the recorded actor."""

from __future__ import annotations

import io
import json

import pytest
from records_support import FAST, PASSWORD

from workbench.apps.cli import main
from workbench.records import audit
from workbench.records.roles import os_login
from workbench.records.sign_in import sign_in


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_add_list_set_roles_disable_and_passwd(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture) -> None:
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["users", "add", "chief", "--role", "admin", "--district", "haidian", "--password-stdin"]) == 0
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["users", "add", "ann", "--role", "viewer", "--password-stdin"]) == 0
    assert main(["users", "set-roles", "ann", "builder", "publisher"]) == 0
    capsys.readouterr()
    assert main(["users", "list", "--json"]) == 0
    listed = {u["name"]: u for u in json.loads(capsys.readouterr().out)}
    assert listed["ann"]["roles"] == ["builder", "publisher"] and listed["chief"]["district"] == "haidian"
    assert main(["users", "disable", "ann"]) == 0
    assert main(["users", "enable", "ann"]) == 0
    _stdin(monkeypatch, "a brand new password\n")
    assert main(["users", "passwd", "ann", "--password-stdin"]) == 0
    assert sign_in("ann", "a brand new password", FAST).actor.roles == {"builder", "publisher"}
    actions = [(e.actor, e.action, e.target) for e in audit.entries(action="user")]
    who = f"system:{os_login()}"
    assert actions == [(who, "user.add", "chief"), (who, "user.add", "ann"), (who, "user.roles", "ann"),
                       (who, "user.disable", "ann"), (who, "user.enable", "ann"), (who, "user.password_reset", "ann")]
    assert audit.verify()[1] is None


def test_refusals_are_plain_sentences_in_the_operators_language(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("WORKBENCH_LANG", "en")  # restored afterwards: --lang zh below sets it for the process
    _stdin(monkeypatch, "short\n")
    assert main(["users", "add", "ann", "--role", "admin", "--password-stdin"]) == 1
    assert "at least 10 characters" in capsys.readouterr().err
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["users", "add", "ann", "--role", "boss", "--password-stdin"]) == 1
    assert "unknown role boss" in capsys.readouterr().err
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["users", "add", "ann", "--role", "admin", "--password-stdin"]) == 0
    assert main(["--lang", "zh", "users", "set-roles", "ann", "viewer"]) == 1  # the last admin stays
    assert "最后一个有效的管理员" in capsys.readouterr().err
    assert main(["--lang", "zh", "users", "disable", "nobody"]) == 1
    assert "没有用户 nobody" in capsys.readouterr().err
    assert [e.action for e in audit.entries()] == ["user.add"]


def _typed(args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run `workbench ARGS` on a real terminal (a pty), typing each answer after the next prompt ending in ': '."""
    import os
    import pty
    import sys

    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal, where getpass asks
        os.execv(sys.executable, [sys.executable, "-m", "workbench.apps.cli", *args])
    seen = b""
    for answer in answers:
        while not seen.rstrip().endswith(b":"):
            seen += os.read(fd, 1024)
        os.write(fd, answer.encode() + b"\n")
        seen += b"|"
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), seen.decode(errors="replace")


def test_the_password_is_asked_twice_at_a_hidden_prompt(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_LANG", "en")
    code, shown = _typed(["users", "add", "ann", "--role", "admin"], [PASSWORD, PASSWORD + "!"])
    assert code == 1 and "two passwords typed differ" in shown and PASSWORD not in shown  # never echoed
    code, shown = _typed(["users", "add", "ann", "--role", "admin"], [PASSWORD, PASSWORD])
    assert code == 0 and "user ann added" in shown and PASSWORD not in shown
    assert sign_in("ann", PASSWORD, FAST).actor.roles == {"admin"}
