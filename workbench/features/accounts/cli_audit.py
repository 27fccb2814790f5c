"""`workbench audit ...`: check the audit trail's hash chain and export it.

    workbench audit verify                      exit 1 and name the first record changed, removed or reordered
    workbench audit export --csv FILE [--since ISO] [--until ISO] [--actor NAME] [--action ACTION]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from workbench.core.i18n import t


def finding_text(finding: Any) -> str:
    return t(f"audit.finding.{finding.kind}", seq=finding.seq, other=finding.other, previous=finding.seq - 1)


def cmd_verify(args: argparse.Namespace) -> int:
    from workbench.records import audit

    checked, finding = audit.verify()
    if finding is not None:
        print(finding_text(finding), file=sys.stderr)
        print(t("cli.audit.checked_before", count=checked), file=sys.stderr)
        return 1
    seq, digest = audit.head()
    print(t("cli.audit.verified", count=checked, seq=seq, hash=digest))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from workbench.features.accounts.audit_export import write_csv

    with contextlib.ExitStack() as stack:
        target = sys.stdout if args.csv == "-" else stack.enter_context(
            Path(args.csv).open("w", encoding="utf-8-sig", newline=""))
        written = write_csv(target, None, args.since, args.until, args.actor, args.action)
    if args.csv != "-":
        print(t("cli.audit.exported", count=written, path=args.csv))
    return 0


def add_parsers(subparsers: Any) -> argparse.ArgumentParser:
    """Add `audit` with verify and export."""
    top = subparsers.add_parser("audit", help="the audit trail: verify its hash chain, export it")
    sub = top.add_subparsers(dest="audit_command", required=True)
    p = sub.add_parser("verify", help="check every record's hash; name the first changed, removed or reordered one")
    p.set_defaults(func=cmd_verify)
    p = sub.add_parser("export", help="write records as CSV (UTF-8 with BOM, opens in spreadsheets)")
    p.add_argument("--csv", required=True, help="file to write, or - for stdout")
    p.add_argument("--since", help="from this time on (ISO 8601; without a zone: UTC), e.g. 2026-12-08")
    p.add_argument("--until", help="before this time (ISO 8601; without a zone: UTC)")
    p.add_argument("--actor", help="only this user name (system:<login> for the command line)")
    p.add_argument("--action", help="only this action (user.add) or group (user)")
    p.set_defaults(func=cmd_export)
    return top
