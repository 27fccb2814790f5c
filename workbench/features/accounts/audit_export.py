"""The audit trail as CSV (UTF-8; a cell a spreadsheet would run as a formula is quoted with '), for `workbench audit
export` and the Admin page. Reading it needs `audit.read`."""

from __future__ import annotations

import csv
from typing import TextIO

from workbench.core.spreadsheet import safe_cell
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require

COLUMNS = ("seq", "at", "actor", "action", "target", "before", "after", "prev_hash", "hash")


def write_csv(target: TextIO, actor: Actor | None = None, since: str | None = None, until: str | None = None,
              user: str | None = None, action: str | None = None) -> int:
    """Write the records matching the filters (time [since, until), the acting user, action or group) as CSV;
    returns how many."""
    require(actor, Permission.AUDIT_READ)
    writer = csv.writer(target)
    writer.writerow(COLUMNS)
    written = 0
    for entry in audit.entries(since, until, user, action):
        writer.writerow([safe_cell(getattr(entry, column)) for column in COLUMNS])
        written += 1
    return written
