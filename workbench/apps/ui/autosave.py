"""The Build page's unsaved work, kept in the workbench home so a browser refresh or a closed tab loses nothing.

After every change the open draft is written to `<home>/drafts/<who>.json` (the pipeline as YAML and what the draft
knows about its file); a draft with nothing unsaved removes it. A new browser session finds it and offers it back
(restore or discard) before anything overwrites it. `who` is "local" until people sign in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from workbench.apps.ui.draft import Draft
from workbench.core.errors import PipelineInvalid
from workbench.core.paths import workbench_home, write_atomic
from workbench.engine.spec import spec_from_yaml

DEFAULT_WHO = "local"


@dataclass(frozen=True)
class Autosaved:
    """Unsaved work found on disk: the draft it restores to and when it was last written."""

    draft: Draft
    saved_at: str  # ISO time, UTC
    path: Path


def autosave_path(who: str = DEFAULT_WHO, home: Path | None = None) -> Path:
    return (home or workbench_home()) / "drafts" / f"{who}.json"


def keep(draft: Draft, who: str = DEFAULT_WHO, home: Path | None = None) -> bool:
    """Write the draft when it has unsaved changes (and they differ from what is on disk), remove the file when it
    has none or is empty. True when something was written."""
    path = autosave_path(who, home)
    text = draft.spec.to_yaml()
    if text == draft.saved_yaml or not draft.spec.nodes:  # saved, or an empty canvas: nothing to lose
        path.unlink(missing_ok=True)
        return False
    record = {"yaml": text, "name": draft.name, "template": draft.template, "opened_as": draft.opened_as,
              "saved_yaml": draft.saved_yaml, "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("yaml") == text:
            return False
    except (OSError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(record, ensure_ascii=False), private=True)  # a draft may hold a password
    return True


def find(who: str = DEFAULT_WHO, home: Path | None = None) -> Autosaved | None:
    """The unsaved work left by an earlier session, or None (also when the file cannot be read any more)."""
    path = autosave_path(who, home)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        spec = spec_from_yaml(record["yaml"], origin=str(path))
    except (OSError, ValueError, KeyError, TypeError, PipelineInvalid):
        return None
    draft = Draft(spec=spec, name=str(record.get("name") or ""), template=str(record.get("template") or ""),
                  saved_yaml=str(record.get("saved_yaml") or ""), opened_as=str(record.get("opened_as") or ""))
    return Autosaved(draft=draft, saved_at=str(record.get("saved_at") or ""), path=path)


def discard(who: str = DEFAULT_WHO, home: Path | None = None) -> None:
    autosave_path(who, home).unlink(missing_ok=True)
