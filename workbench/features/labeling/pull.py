"""Pull annotations incrementally into a local store: one JSON file per labeled task plus a cursor.

Store layout (`<home>/labeling/<server>/project-<id>/`): `state.json` (project title, classes, kind, label config, the
server-side `updated_at` cursor, and per task the annotation id + updated_at pulled) and `tasks/<task id>.json`
(the task's data and its chosen annotation). A pull asks only for tasks changed since the cursor (less a margin) and
reports which tasks are new, changed or lost their annotation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from label_studio_sdk import LabelStudio

from workbench.core.paths import workbench_home
from workbench.features.labeling.projects import ProjectRef
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require

CURSOR_MARGIN = timedelta(seconds=5)  # server clocks round; the local comparison drops what did not change


@dataclass
class PullResult:
    new: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    fetched: int = 0  # tasks the server sent (changed since the cursor)
    store: Path = Path()


def server_folder(url: str) -> str:
    """`<host>_<port>`: the folder of one server's pulled projects under `<home>/labeling/`."""
    u = urlparse(url)
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{u.hostname}_{u.port or (443 if u.scheme == 'https' else 80)}")


def default_store(url: str, project_id: int) -> Path:
    """`<home>/labeling/<host>_<port>/project-<id>`."""
    return workbench_home() / "labeling" / server_folder(url) / f"project-{project_id}"


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _parse(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _ann(a: Any) -> dict:
    return a if isinstance(a, dict) else a.model_dump(mode="json")


def chosen_annotation(annotations: list[dict]) -> dict | None:
    """The annotation to train on: ground truth first, else the latest updated; skipped (cancelled) ones never."""
    usable = [a for a in annotations if not a.get("was_cancelled")]
    if not usable:
        return None
    return max(usable, key=lambda a: (bool(a.get("ground_truth")), str(a.get("updated_at")), int(a.get("id") or 0)))


def load_state(store: Path) -> dict:
    path = store / "state.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"cursor": None, "tasks": {}}


def _changed_tasks(client: LabelStudio, project_id: int, cursor: str | None):
    query = None
    if cursor:
        since = (_parse(cursor) - CURSOR_MARGIN).isoformat().replace("+00:00", "Z")
        query = json.dumps({"filters": {"conjunction": "and", "items": [
            {"filter": "filter:tasks:updated_at", "operator": "greater", "type": "Datetime", "value": since}]}})
    return client.tasks.list(project=project_id, fields="all", query=query)


def pull(client: LabelStudio, project: ProjectRef, store: Path, actor: Actor | None = None) -> PullResult:
    """Bring new and changed annotations of `project` into `store` for `actor` (clips.edit; recorded as
    `labels.pull`); tasks whose annotations were removed are dropped."""
    actor = require(actor, Permission.CLIPS_EDIT)
    result = _pull(client, project, store)
    audit.record(actor, "labels.pull", project.title, after={"new": len(result.new), "changed": len(result.changed),
                                                               "removed": len(result.removed)})
    return result


def _pull(client: LabelStudio, project: ProjectRef, store: Path) -> PullResult:
    state = load_state(store)
    (store / "tasks").mkdir(parents=True, exist_ok=True)
    p = client.projects.get(id=project.id)
    result = PullResult(store=store)
    cursor = state.get("cursor")
    newest = _parse(cursor) if cursor else None
    for task in _changed_tasks(client, project.id, cursor):
        result.fetched += 1
        key = str(task.id)
        if task.updated_at and (newest is None or _parse(task.updated_at) > newest):
            newest = _parse(task.updated_at)
        ann = chosen_annotation([_ann(a) for a in (task.annotations or [])])
        before = state["tasks"].get(key)
        path = store / "tasks" / f"{key}.json"
        if ann is None:
            if before is not None:
                path.unlink(missing_ok=True)
                del state["tasks"][key]
                result.removed.append(task.id)
            continue
        mark = {"annotation": ann["id"], "updated_at": _iso(ann.get("updated_at"))}
        if before == mark:
            continue
        record = {"task": task.id, "data": task.data, "annotation": {
            k: ann.get(k) for k in ("id", "result", "updated_at", "completed_by", "ground_truth", "lead_time")}}
        path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        state["tasks"][key] = mark
        (result.changed if before else result.new).append(task.id)
    state.update({"cursor": _iso(newest) if newest else None, "project": {
        "id": project.id, "title": p.title, "classes": project.classes, "kind": project.kind,
        "label_config": p.label_config}})
    (store / "state.json").write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def stored_tasks(store: Path) -> list[dict]:
    """Every pulled task record of a store, by task id."""
    files = sorted((store / "tasks").glob("*.json"), key=lambda p: int(p.stem))
    return [json.loads(f.read_text(encoding="utf-8")) for f in files]
