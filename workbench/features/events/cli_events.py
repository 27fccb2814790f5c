"""`workbench events`: the one event store from the command line.

    workbench events ingest RUN_FOLDER...                        # idempotent: a second ingest adds nothing
    workbench events list --since 2026-12-08 --until 2026-12-09 --camera gate-1 [--rule line] [--class car] [--json]
    workbench events counts --since 2026-12-08 --camera gate-1    # events per hour
    workbench events export events.csv [the same filters]         # UTF-8 with BOM (Excel)

Times without an offset are this machine's local time; the store is WORKBENCH_DATABASE_URL or the home's records.db.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import t


def _time(value: str, option: str) -> datetime:
    from workbench.records.event_store import to_utc

    try:
        return to_utc(value.strip())
    except ValueError:
        raise WorkbenchError([Problem("events_bad_time", field=option, params={"value": value})]) from None


def _query(args: argparse.Namespace) -> Any:
    from workbench.records.event_store import EventQuery

    return EventQuery(since=_time(args.since, "--since") if args.since else None,
                      until=_time(args.until, "--until") if args.until else None,
                      camera=args.camera, site=args.site, node=args.rule, class_name=args.class_name, type=args.type)


def cmd_ingest(args: argparse.Namespace) -> int:
    from workbench.features.events.ingest import ingest_folder

    for folder in args.folders:
        result = ingest_folder(Path(folder))
        print(t("cli.events.ingested", folder=str(result.folder), read=result.read, added=result.added,
                present=result.present))
        if result.skipped_lines:
            print(t("cli.events.skipped_lines", folder=str(result.folder), count=result.skipped_lines),
                  file=sys.stderr)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from workbench.features.events.browse import plain
    from workbench.records.database import open_database
    from workbench.records.event_store import count_events, find_events

    engine, query = open_database(), _query(args)
    rows = [plain(r) for r in find_events(engine, query, limit=args.limit)]
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if not rows:
        print(t("cli.events.none"))
        return 0
    keys = ("time", "camera", "node", "type", "class_name", "track_id", "region", "direction", "value", "snapshot")
    table = [t("cli.events.columns").split("|")]
    table += [["" if r[k] is None else str(r[k]) for k in keys] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(keys))]
    for line in table:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    if len(rows) == args.limit and (total := count_events(engine, query)) > len(rows):
        print(t("cli.events.more", shown=len(rows), total=total), file=sys.stderr)
    return 0


def cmd_counts(args: argparse.Namespace) -> int:
    from workbench.records.database import open_database
    from workbench.records.event_store import counts_by_hour

    counts = counts_by_hour(open_database(), _query(args))
    if args.json:
        print(json.dumps(dict(counts)))
        return 0
    print("  ".join(t("cli.events.counts_columns").split("|")))
    for hour, n in counts:
        print(f"{hour}  {n}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from workbench.features.events.browse import write_csv

    path = Path(args.file)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        count = write_csv(f, _query(args))
    print(t("cli.events.exported", count=count, path=str(path)))
    return 0


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", help="from this time on (2026-12-08 or 2026-12-08T14:30; local time without offset)")
    p.add_argument("--until", help="before this time")
    p.add_argument("--camera", help="camera id (exactly)")
    p.add_argument("--site", help="site (exactly)")
    p.add_argument("--rule", help="the rule node's id (exactly)")
    p.add_argument("--class", dest="class_name", help="object class (exactly)")
    p.add_argument("--type", help="event type, e.g. line_crossing, zone_enter, stopped")
    p.add_argument("--json", action="store_true", help="one JSON object per line")


def add_parsers(subparsers: Any) -> argparse.ArgumentParser:
    """Add `events` to the main parser's subparsers."""
    from workbench.core.arg_types import positive_int

    p = subparsers.add_parser("events", help="the event store: ingest run folders, list, count and export events")
    sub = p.add_subparsers(dest="events_command", required=True)
    q = sub.add_parser("ingest", help="add the events of finished run folders (runs, batches, camera groups)")
    q.add_argument("folders", nargs="+", metavar="RUN_FOLDER")
    q.set_defaults(func=cmd_ingest)
    q = sub.add_parser("list", help="events matching the filters, oldest first")
    _filters(q)
    q.add_argument("--limit", type=positive_int, default=100, help="show at most this many (default 100)")
    q.set_defaults(func=cmd_list)
    q = sub.add_parser("counts", help="events per hour matching the filters")
    _filters(q)
    q.set_defaults(func=cmd_counts)
    q = sub.add_parser("export", help="every matching event into a CSV file (opens in Excel)")
    q.add_argument("file", help="the CSV file to write")
    _filters(q)
    q.set_defaults(func=cmd_export)
    return p
