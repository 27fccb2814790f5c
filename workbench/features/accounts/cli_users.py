"""`workbench users ...`: accounts managed by the operating-system user running the command (recorded as
`system:<login>` in the audit trail).

    workbench users add NAME --role admin [--role ...] [--district D] [--display-name X] [--password-stdin]
    workbench users list [--json]
    workbench users set-roles NAME ROLE [ROLE ...]
    workbench users disable NAME | enable NAME
    workbench users passwd NAME [--password-stdin]

A password is typed twice at a hidden prompt, or read as one line from stdin with --password-stdin.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import t


def read_password(name: str, from_stdin: bool) -> str:
    """One line of stdin, or the password typed twice at a hidden prompt (`passwords_differ` when they differ)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(t("cli.users.password", name=name))
    if getpass.getpass(t("cli.users.password_again")) != first:
        raise WorkbenchError([Problem("passwords_differ", field="password")])
    return first


def _show(user: Any, message: str = "cli.users.changed") -> None:
    state = t("cli.users.disabled") if user.disabled else t("cli.users.enabled")
    print(t(message, name=user.name, district=user.district or "-", roles=",".join(sorted(user.roles)) or "-",
            state=state))


def cmd_add(args: argparse.Namespace) -> int:
    from workbench.records.accounts import add_user, check_name, check_password

    name = check_name(args.name)
    password = read_password(name, args.password_stdin)
    check_password(name, password)
    _show(add_user(None, name, password, args.role, args.district, args.display_name or ""), "cli.users.added")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from workbench.records.accounts import list_users

    found = list_users(None)
    if args.json:
        print(json.dumps([{**u.state(), "name": u.name} for u in found], ensure_ascii=False, indent=2))
    for user in [] if args.json else found:
        _show(user)
    if not found and not args.json:
        print(t("cli.users.none"))
    return 0


def cmd_set_roles(args: argparse.Namespace) -> int:
    from workbench.records.accounts import set_roles

    _show(set_roles(None, args.name, args.roles))
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    from workbench.records.accounts import set_disabled

    _show(set_disabled(None, args.name, disabled=args.users_command == "disable"))
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    from workbench.records.accounts import check_password, get_user, reset_password

    get_user(args.name)  # an unknown name is said before the password is asked
    password = read_password(args.name, args.password_stdin)
    check_password(args.name, password)
    _show(reset_password(None, args.name, password))
    return 0


def add_parsers(subparsers: Any) -> argparse.ArgumentParser:
    """Add `users` with add, list, set-roles, disable, enable and passwd."""
    from workbench.records.roles import ROLES

    top = subparsers.add_parser("users", help="accounts: add, list, set roles, disable, reset passwords")
    sub = top.add_subparsers(dest="users_command", required=True)
    p = sub.add_parser("add", help="add an account (the first admin: --role admin)")
    p.add_argument("name")
    p.add_argument("--role", action="append", required=True, help=f"repeatable; one of: {', '.join(ROLES)}")
    p.add_argument("--district", default="", help="the district the user belongs to (publishers sign with its key)")
    p.add_argument("--display-name")
    p.add_argument("--password-stdin", action="store_true", help="read the password as one line from stdin")
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("list", help="every account with district, roles and state")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("set-roles", help="replace an account's roles")
    p.add_argument("name")
    p.add_argument("roles", nargs="+", help=", ".join(ROLES))
    p.set_defaults(func=cmd_set_roles)
    for command, text in (("disable", "disable an account (its sessions end)"), ("enable", "enable it again")):
        p = sub.add_parser(command, help=text)
        p.add_argument("name")
        p.set_defaults(func=cmd_disable)
    p = sub.add_parser("passwd", help="set an account's password (its sessions end)")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the password as one line from stdin")
    p.set_defaults(func=cmd_passwd)
    return top
