"""`workbench registry ...`: publish an algorithm to the shared registry, browse it, pull and import a version.

    workbench registry publish PIPELINE --name N --version 1.0.0 (--model-version NAME/3 | --weights F ...)
    workbench registry list [--search TEXT] [--tag T] [--task T] [--district D] [--all-versions] [--json]
    workbench registry show DISTRICT/NAME[@VERSION] [--json]
    workbench registry pull DISTRICT/NAME[@VERSION] [--dest DIR] [--no-install]

The registry is WORKBENCH_REGISTRY_URL (a folder, default <home>/registry, or s3://bucket with
WORKBENCH_REGISTRY_ENDPOINT and per-district credentials); this machine's district is WORKBENCH_REGISTRY_DISTRICT.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import current_language, t

REF = re.compile(r"^(?P<district>[a-z0-9][a-z0-9_-]*)/(?P<name>[a-z0-9][a-z0-9_-]*)"
                 r"(?:@(?P<version>[0-9][0-9A-Za-z.+-]*))?$")


def parse_ref(ref: str) -> tuple[str, str, str | None]:
    """(district, name, version or None for the newest) of DISTRICT/NAME[@VERSION]."""
    found = REF.match(ref.strip())
    if not found:
        raise WorkbenchError([Problem("registry_bad_ref", field="ref", params={"ref": ref})])
    return found["district"], found["name"], found["version"]


def _bar(desc: str):
    from tqdm import tqdm

    state: dict[str, Any] = {}

    def report(path: str, done: int, total: int) -> None:
        if state.get("path") != path:
            if state.get("bar") is not None:
                state["bar"].close()
            state.update(path=path, bar=tqdm(total=total, desc=f"{desc} {path}", unit="B", unit_scale=True,
                                             file=sys.stderr, leave=False))
        bar = state["bar"]
        bar.update(done - bar.n)

    return report


def read_evaluation(path: str | None) -> dict[str, Any]:
    """Metrics for the bundle from a JSON file: {"detection": .., "events": ..}, or a `workbench eval` --json output."""
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkbenchError([Problem("registry_bad_evaluation", field="evaluation",
                                      params={"path": path, "detail": str(exc)[:200]})]) from exc
    if not isinstance(data, dict):
        raise WorkbenchError([Problem("registry_bad_evaluation", field="evaluation",
                                      params={"path": path, "detail": "not a JSON object"})])
    if {"detection", "events"} & set(data):
        return {k: v for k, v in data.items() if k in ("detection", "events")}
    if "rules" in data and "totals" in data:  # `workbench eval events --json`
        return {"events": {k: data[k] for k in ("pipeline", "clip", "tolerance_s", "totals", "rules") if k in data}}
    return {"detection": {k: v for k, v in data.items() if k != "mlflow"}}  # `workbench eval detection --json`


def cmd_publish(args: argparse.Namespace) -> int:
    from workbench.features.sharing.config import open_store, registry_settings
    from workbench.features.sharing.outbox import publish_version

    settings = registry_settings(district=args.district)  # --district also lets a folder registry write there
    district = settings.district
    store = open_store(settings)
    tags = [x.strip() for x in (args.tags or "").split(",") if x.strip()]
    published = publish_version(args.pipeline, store, name=args.name, version=args.version, district=district,
                                progress=_bar(t("cli.registry.uploading")),
                                description={"en": args.description_en or args.name,
                                             "zh": args.description_zh or args.description_en or args.name},
                                model_version=args.model_version, weights=args.weights or (),
                                evaluation=read_evaluation(args.evaluation), tags=tags, task=args.task,
                                preview=args.preview, title={"zh": args.title_zh or "", "en": args.title_en or ""})
    manifest = published.release.manifest
    print(t("cli.registry.published", ref=f"{district}/{args.name}@{args.version}", store=store.describe(),
            files=len(manifest.files), skipped=len(published.skipped_files)))
    return 0


def _entries(args: argparse.Namespace):
    from workbench.features.sharing.catalog import latest, list_versions
    from workbench.features.sharing.config import open_store

    store = open_store()
    entries = list_versions(store)
    if not getattr(args, "all_versions", True):
        broken = [e for e in entries if e.release is None]
        entries = latest(entries) + broken
    return store, entries


def _summary(e: Any) -> dict[str, Any]:
    m = e.release.manifest if e.release else None
    return {"ref": e.ref, "district": e.district, "name": e.name, "version": e.version,
            "trust": e.verdict.status if e.verdict else "broken",
            "problem": e.problem.message() if e.problem else None,
            "task": m.task if m else None, "tags": list(m.tags) if m else [],
            "description": m.description.model_dump() if m else None, "created": m.created if m else None,
            "classes": list(m.classes) if m else [], "evaluation": m.evaluation.model_dump() if m else None}


def cmd_list(args: argparse.Namespace) -> int:
    store, entries = _entries(args)
    shown = [e for e in entries if e.matches(args.search or "", args.tag or "", args.task or "", args.district or "")]
    if args.json:
        print(json.dumps([_summary(e) for e in shown], ensure_ascii=False, indent=2))
        return 0
    print(t("cli.registry.listing", store=store.describe(), count=len(shown)))
    for e in shown:
        s = _summary(e)
        text = s["problem"] or (s["description"] or {}).get(current_language(), "")
        print(f"  {e.ref:<40} {t('registry.trust.' + s['trust']):<12} {s['task'] or '':<8} {text}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from workbench.features.sharing.catalog import find

    district, name, version = parse_ref(args.ref)
    _, entries = _entries(argparse.Namespace(all_versions=True))
    entry = find(entries, district, name, version)
    if entry is None:
        raise WorkbenchError([Problem("registry_version_unknown", field="ref", params={"ref": args.ref})])
    if entry.release is None:
        raise WorkbenchError([entry.problem] if entry.problem else [])
    if args.json:
        data = {**_summary(entry), "manifest": entry.release.manifest.model_dump(mode="json")}
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    m = entry.release.manifest
    print(f"{entry.ref}  [{t('registry.trust.' + entry.verdict.status)}]")
    print(f"  {m.description.en}\n  {m.description.zh}")
    print(t("cli.registry.show_line", task=m.task, classes=", ".join(m.classes), tags=", ".join(m.tags),
            created=m.created, files=len(m.files), size=sum(f.size for f in m.files)))
    for section, values in m.evaluation.model_dump().items():
        for key, value in (values or {}).items():
            if isinstance(value, (int, float)):
                print(f"  {section}.{key} = {value:.3f}")
    for node, fields in m.site_fields.items():
        print(t("cli.registry.site_field", node=node, fields=", ".join(fields)))
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    from workbench.core.paths import workbench_home
    from workbench.features.sharing.catalog import find
    from workbench.features.sharing.config import open_store
    from workbench.features.sharing.install import install
    from workbench.features.sharing.pull import pull

    district, name, version = parse_ref(args.ref)
    store = open_store()
    if version is None:  # the newest: only then is the catalog read
        entry = find(_entries(argparse.Namespace(all_versions=True))[1], district, name)
        if entry is None:
            raise WorkbenchError([Problem("registry_version_unknown", field="ref", params={"ref": args.ref})])
        version = entry.version
    dest = Path(args.dest) if args.dest else workbench_home() / "imported" / district / name / version
    pulled = pull(store, district, name, version, dest, _bar(t("cli.registry.downloading")))
    for p in pulled.warnings:
        print(f"{p.severity}: {p.message()}", file=sys.stderr)
    print(t("cli.registry.pulled", ref=f"{district}/{name}@{version}", folder=str(pulled.folder),
            trust=t("registry.trust." + pulled.verdict.status)))
    if args.no_install:
        return 0
    installed = install(pulled.folder, pulled.release.manifest)
    print(t("cli.registry.installed", pipeline=str(installed.pipeline), models=", ".join(installed.models) or "-"))
    for node, fields in installed.site_pending.items():
        print(t("cli.registry.site_field", node=node, fields=", ".join(fields)))
    return 0


def add_parsers(subparsers: Any) -> argparse.ArgumentParser:
    """Add `registry` with publish, list, show and pull."""
    top = subparsers.add_parser("registry", help="the shared algorithm registry: publish, browse, pull")
    sub = top.add_subparsers(dest="registry_command", required=True)

    p = sub.add_parser("publish", help="sign and publish a pipeline with its model as a new version")
    p.add_argument("pipeline", help="pipeline YAML")
    p.add_argument("--name", required=True, help="algorithm name (lower case, digits, - and _)")
    p.add_argument("--version", required=True, help="semantic version, e.g. 1.0.0 (a published version is final)")
    p.add_argument("--district", help="publishing district (default WORKBENCH_REGISTRY_DISTRICT)")
    p.add_argument("--model-version", help="registered MLflow model, NAME/VERSION or NAME@ALIAS")
    p.add_argument("--weights", nargs="*", help="weights files (.pt/.onnx) instead of --model-version")
    p.add_argument("--title-zh", help="display name in Chinese, e.g. 渣土车出场计数 (the id stays NAME)")
    p.add_argument("--title-en", help="display name in English")
    p.add_argument("--description-en", help="what it does, in English")
    p.add_argument("--description-zh", help="what it does, in Chinese")
    p.add_argument("--tags", help="comma-separated search tags")
    p.add_argument("--task", default="detect", help="task, e.g. detect, count, dwell")
    p.add_argument("--evaluation", help="metrics JSON ({detection, events} or `workbench eval ... --json` output)")
    p.add_argument("--preview", help="preview image or short clip")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("list", help="browse: newest version of each algorithm (search by text, tag, task, district)")
    p.add_argument("--search")
    p.add_argument("--tag")
    p.add_argument("--task")
    p.add_argument("--district")
    p.add_argument("--all-versions", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="one version: description, metrics, site settings, signature")
    p.add_argument("ref", help="DISTRICT/NAME[@VERSION]")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("pull", help="download, verify (hashes + signature) and import a version")
    p.add_argument("ref", help="DISTRICT/NAME[@VERSION] (newest when no version)")
    p.add_argument("--dest", help="folder for the bundle (default <home>/imported/...)")
    p.add_argument("--no-install", action="store_true", help="only download and verify")
    p.set_defaults(func=cmd_pull)
    return top
