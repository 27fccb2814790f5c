"""Reading the event store for people: the values each filter can take, rows as plain data (local times) and CSV
exports of any size. Used by the Events page and `workbench events list|export`."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import Engine, select

from workbench.core.spreadsheet import safe_cell
from workbench.records.database import open_database
from workbench.records.event_store import EventQuery, events, iter_events, local_text

EXPORT_COLUMNS = ("time", "camera", "site", "pipeline", "pipeline_version", "node", "type", "class_name", "track_id",
                  "region", "direction", "value", "confidence", "frame", "pts", "snapshot", "source_id", "seq",
                  "attributes")
CHOICE_COLUMNS = ("camera", "site", "node", "class_name")
MAX_CHOICES = 500  # per filter


def filter_choices(since: datetime | None, until: datetime | None, engine: Engine | None = None
                   ) -> dict[str, list[str]]:
    """For camera, site, node (rule) and class: the values stored in [since, until), sorted ("" left out)."""
    window = EventQuery(since=since, until=until).where()
    found: dict[str, list[str]] = {}
    with (engine or open_database()).connect() as connection:
        for name in CHOICE_COLUMNS:
            column = events.c[name]
            statement = select(column).where(*window, column != "").distinct().order_by(column).limit(MAX_CHOICES)
            found[name] = [str(v) for v in connection.execute(statement).scalars()]
    return found


def plain(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as JSON-able data; time in local time with its offset."""
    return {k: local_text(v) if k == "time" else v for k, v in row.items() if k != "id"}


def write_csv(target: TextIO, query: EventQuery, engine: Engine | None = None) -> int:
    """Every matching event as CSV (attributes as JSON, formula-looking text quoted); returns how many."""
    writer = csv.DictWriter(target, fieldnames=EXPORT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for row in iter_events(engine or open_database(), query):
        data = plain(row)
        data["attributes"] = json.dumps(data["attributes"], ensure_ascii=False)
        writer.writerow({k: safe_cell(v) for k, v in data.items()})
        count += 1
    return count
