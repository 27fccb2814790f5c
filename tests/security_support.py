"""What the security tests build on: the bundled street counter, optionally with a webhook fed by its rule."""

from __future__ import annotations

from pathlib import Path

from workbench.engine.spec import load_spec

REPO = Path(__file__).resolve().parents[1]


def counter_with_webhook(webhook: dict | None = None, source: str | None = None) -> dict:
    """vehicle_count_line as a dict; `source` replaces its video path; `webhook` adds node `hook` (these settings)
    fed by the counting rule's events."""
    data = load_spec(REPO / "pipelines" / "vehicle_count_line.yaml").to_dict()
    if source is not None:
        data["nodes"][0]["config"]["path"] = source
    if webhook:
        data["nodes"].append({"id": "hook", "type": "sinks/webhook@v1", "config": webhook})
        rule = next(n["id"] for n in data["nodes"] if n["type"].startswith("rules/"))
        data["edges"].append({"from": f"{rule}.events", "to": "hook.events"})
    return data
