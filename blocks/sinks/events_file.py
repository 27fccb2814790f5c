"""Write every event to events.jsonl and/or events.csv in the run folder, one row per event."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from pydantic import Field

from blocks.sinks._common import PlainName, run_folder
from workbench.core.block import Block, BlockConfig, StreamContext
from workbench.core.errors import BlockError
from workbench.core.events import CSV_COLUMNS, Event
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port
from workbench.core.write_paths import writable_path


class EventsFileConfig(BlockConfig):
    name: PlainName = Field("events", min_length=1, max_length=100,
                      description="Base file name in the run folder: events -> events.jsonl / events.csv")
    formats: tuple[Literal["jsonl", "csv"], ...] = Field(
        ("jsonl", "csv"), min_length=1, max_length=2,
        description="Files to write: jsonl (one JSON object per line) and/or csv (opens in Excel, UTF-8 with BOM)")


@dataclass
class _State:
    jsonl: IO[str] | None = None
    csv_file: IO[str] | None = None
    csv_writer: Any = None
    files: list[str] = field(default_factory=list)
    count: int = 0


class EventsFile(Block[EventsFileConfig]):
    """Record every event in events.jsonl / events.csv (CSV is UTF-8 with BOM so Excel shows Chinese correctly)."""

    type_id = "sinks/events_file@v1"
    Config = EventsFileConfig
    inputs = (Port("events", Kind.EVENTS, many=True, description="Events from one or more rules"),)
    outputs = ()

    def start(self, ctx: StreamContext) -> _State:
        state = _State()
        folder = run_folder(ctx, self.node_id, "name")
        if folder is None:
            return state
        formats = dict.fromkeys(self.config.formats)  # keep order, drop repeats
        try:
            if "jsonl" in formats:
                path = writable_path(f"{self.config.name}.jsonl", folder, self.node_id, "name")
                state.jsonl = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 - closed in finish()
                state.files.append(path.name)
            if "csv" in formats:
                path = writable_path(f"{self.config.name}.csv", folder, self.node_id, "name")
                # utf-8-sig: the BOM makes Excel (Windows, Chinese locale) read the file as UTF-8 instead of GBK.
                state.csv_file = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
                state.csv_writer = csv.DictWriter(state.csv_file, fieldnames=CSV_COLUMNS)
                state.csv_writer.writeheader()
                state.csv_file.flush()
                state.files.append(path.name)
        except BlockError:
            self._close(state)
            raise
        except OSError as exc:
            self._close(state)
            raise BlockError("sink_unwritable", self.node_id, "name", path=str(folder / self.config.name),
                             detail=exc.strerror or str(exc)) from None
        return state

    def process(self, state: _State, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        events: tuple[Event, ...] = inputs.get("events", ())
        if not events or not state.files:
            return {}
        try:
            if state.jsonl is not None:
                state.jsonl.writelines(json.dumps(ev.to_dict(), ensure_ascii=False) + "\n" for ev in events)
                state.jsonl.flush()
            if state.csv_writer is not None:
                state.csv_writer.writerows(ev.to_csv_row() for ev in events)
                state.csv_file.flush()
        except OSError as exc:
            raise BlockError("sink_unwritable", self.node_id, "name", path=self.config.name,
                             detail=exc.strerror or str(exc)) from None
        state.count += len(events)
        return {}

    def finish(self, state: _State) -> dict[str, Any]:
        error = self._close(state)
        if error is not None:
            raise BlockError("sink_unwritable", self.node_id, "name", path=self.config.name,
                             detail=error.strerror or str(error))
        return {"files": list(state.files), "events": state.count} if state.files else {}

    @staticmethod
    def _close(state: _State) -> OSError | None:
        """Close every file, even when one fails; return the first failure."""
        error = None
        for f in (state.jsonl, state.csv_file):
            if f is not None and not f.closed:
                try:
                    f.close()
                except OSError as exc:
                    error = error or exc
        return error
