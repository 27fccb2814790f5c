"""Prepare a publication on this machine: gather weights and metrics, build the bundle, keep what resuming needs.

Each (district, name, version) has a folder `<home>/outbox/<district>/<name>/<version>/` holding the built bundle,
its manifest and the upload log. Publishing the same version again after an interruption reuses the upload id, so
files already in the store are not sent twice; a finished publication removes the folder.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.paths import workbench_home
from workbench.engine.spec import PipelineSpec
from workbench.features.sharing.bundle import build_bundle
from workbench.features.sharing.from_mlflow import fetch_registered
from workbench.features.sharing.manifest import BundleManifest
from workbench.features.sharing.publish import FileProgress, Published, UploadLog, check_publisher, publish
from workbench.features.sharing.store import RegistryStore
from workbench.records.roles import Actor

LOG_FILE = "upload-log.json"
MANIFEST_FILE = "manifest.json"


def outbox_dir(district: str, name: str, version: str) -> Path:
    return workbench_home() / "outbox" / district / name / version


def merge_evaluation(*parts: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """{"detection": {...}, "events": {...}} from several sources; later ones win per metric."""
    merged: dict[str, dict[str, Any]] = {}
    for part in parts:
        for section, values in (part or {}).items():
            merged.setdefault(section, {}).update(values)
    return merged


def prepare(pipeline: PipelineSpec | str | Path, *, name: str, version: str, district: str,
            description: Mapping[str, str], model_version: str | None = None,
            weights: Sequence[str | Path] = (), evaluation: Mapping[str, Any] | None = None,
            tags: Sequence[str] = (), task: str = "detect", preview: str | Path | None = None,
            title: Mapping[str, str] | None = None) -> tuple[Path, BundleManifest]:
    """Build the bundle of a publication in its outbox folder; an earlier attempt's upload id is kept."""
    box = outbox_dir(district, name, version)
    box.mkdir(parents=True, exist_ok=True)
    log = UploadLog(box / LOG_FILE)
    files: list[str | Path] = list(weights)
    registered_eval: dict[str, Any] = {}
    if model_version:
        fetched = box / "mlflow"
        shutil.rmtree(fetched, ignore_errors=True)
        registered = fetch_registered(model_version, fetched)
        files += list(registered.files)
        registered_eval = registered.evaluation
    bundle = box / "bundle"
    shutil.rmtree(bundle, ignore_errors=True)
    folder, manifest = build_bundle(pipeline, bundle, name=name, version=version, district=district,
                                    description=description, weights=files or None,
                                    evaluation=merge_evaluation(registered_eval, evaluation), tags=tags, task=task,
                                    preview=preview, upload_id=log.upload_id, title=title)
    (box / MANIFEST_FILE).write_text(json.dumps(manifest.model_dump(mode="json"), ensure_ascii=False),
                                     encoding="utf-8")
    return folder, manifest


def publish_version(pipeline: PipelineSpec | str | Path, store: RegistryStore, *, name: str, version: str,
                    district: str, progress: FileProgress | None = None, actor: Actor | None = None,
                    **bundle: Any) -> Published:
    """Prepare and send one version; a second publish of the same version on this machine meanwhile is refused."""
    from filelock import FileLock, Timeout

    check_publisher(actor, district)  # before the bundle is built, not only when it is signed
    box = outbox_dir(district, name, version)
    box.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(box) + ".lock", timeout=0):
            folder, manifest = prepare(pipeline, name=name, version=version, district=district, **bundle)
            return send(folder, manifest, store, progress, actor)
    except Timeout:
        raise WorkbenchError([Problem("registry_publish_busy", field="version",
                                      params={"ref": f"{district}/{name}@{version}"})]) from None


def send(folder: Path, manifest: BundleManifest, store: RegistryStore,
         progress: FileProgress | None = None, actor: Actor | None = None) -> Published:
    """Publish a prepared bundle, resuming an interrupted attempt; the outbox folder goes once it is out."""
    box = outbox_dir(manifest.district, manifest.name, manifest.version)
    published = publish(folder, manifest, store, progress, UploadLog(box / LOG_FILE), actor)
    shutil.rmtree(box, ignore_errors=True)
    return published
