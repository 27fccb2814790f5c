"""Publish a bundle folder to a registry store, atomically and immutably.

Order: check the folder against its manifest, sign the manifest with the district's key, upload every file into the
bundle's own upload folder (`<district>/<name>/<version>/uploads/<upload_id>/`), then create `release.json` with a
create-if-absent write. A reader never sees a half-published version (no release.json yet), and two racing
publishers of one version end with exactly one winner. An `UploadLog` (kept by workbench.features.sharing.outbox) lets
an
interrupted publish resume: files it records with the same sha256 and found in the store are not sent again.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.features.sharing.bundle import verify_files
from workbench.features.sharing.keys import load_private
from workbench.features.sharing.manifest import BundleManifest, Release
from workbench.features.sharing.signing import signed_release
from workbench.features.sharing.store import (
    RELEASE_MAX_BYTES,
    RegistryStore,
    StoreError,
    file_key,
    release_key,
    upload_prefix,
)
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require, require_district

FileProgress = Callable[[str, int, int], None]  # (file path in the bundle, bytes done, file size)


@dataclass(frozen=True)
class Published:
    """Where the release is and what the upload did."""

    key: str
    release: Release
    uploaded_bytes: int
    skipped_files: tuple[str, ...]  # already in the store from an interrupted earlier attempt


class UploadLog:
    """The files of one upload id already in the store, by bundle path and sha256 (a small JSON file)."""

    def __init__(self, path: Path):
        self.path = path
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        self.upload_id: str | None = data.get("upload_id")
        self.files: dict[str, str] = dict(data.get("files", {}))

    def has(self, path: str, sha256: str) -> bool:
        return self.files.get(path) == sha256

    def add(self, upload_id: str, path: str, sha256: str) -> None:
        if upload_id != self.upload_id:
            self.upload_id, self.files = upload_id, {}
        self.files[path] = sha256
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"upload_id": self.upload_id, "files": self.files}), encoding="utf-8")
        tmp.replace(self.path)


def _version_exists(manifest: BundleManifest, store: RegistryStore) -> StoreError:
    return StoreError("registry_version_exists", "version", name=manifest.name, version=manifest.version,
                      district=manifest.district, store=store.describe())


def _release_of(store: RegistryStore, key: str) -> Release | None:
    try:
        return Release.from_bytes(store.get_bytes(key, max_bytes=RELEASE_MAX_BYTES), key)
    except WorkbenchError:
        return None


def publish(folder: str | Path, manifest: BundleManifest, store: RegistryStore,
            progress: FileProgress | None = None, log: UploadLog | None = None,
            actor: Actor | None = None) -> Published:
    """Sign `manifest` with the district's private key and publish `folder`; `registry_version_exists` if taken.
    Only a publisher of that district (or the OS user holding its key file) may sign."""
    actor = check_publisher(actor, manifest.district)
    folder = Path(folder)
    problems = verify_files(folder, manifest)
    if problems:  # the folder changed since it was built: publishing it would publish a lie
        raise WorkbenchError(problems)
    key = release_key(manifest.district, manifest.name, manifest.version)
    if store.exists(key):
        raise _version_exists(manifest, store)
    release = signed_release(manifest, load_private(manifest.district))
    uploaded, skipped = 0, []
    for entry in manifest.files:
        target = file_key(manifest.district, manifest.name, manifest.version, manifest.upload_id, entry.path)
        resumable = log is not None and log.upload_id == manifest.upload_id and log.has(entry.path, entry.sha256)
        if resumable and store.exists(target) and store.size(target) == entry.size:
            skipped.append(entry.path)
            continue
        report = (lambda done, total, path=entry.path: progress(path, done, total)) if progress else None
        store.put_file(target, folder / entry.path, report)
        uploaded += entry.size
        if log is not None:
            log.add(manifest.upload_id, entry.path, entry.sha256)
    if not store.put_bytes_if_absent(key, release.to_bytes()):
        winner = _release_of(store, key)
        if winner is None or winner.manifest.upload_id != manifest.upload_id:  # never delete the winner's files
            _forget_upload(store, manifest)
        raise _version_exists(manifest, store)
    audit.record(actor, "registry.publish", key, after={"store": store.describe(), "upload_id": manifest.upload_id})
    return Published(key, release, uploaded, tuple(skipped))


def check_publisher(actor: Actor | None, district: str) -> Actor:
    """The actor when they may publish and sign for `district`; else the translated refusal."""
    return require_district(require(actor, Permission.REGISTRY_PUBLISH), district)


def _forget_upload(store: RegistryStore, manifest: BundleManifest) -> None:
    """Remove the files of a publish attempt that lost (best effort: an orphan upload is invisible anyway)."""
    with contextlib.suppress(StoreError):
        store.delete_prefix(upload_prefix(manifest.district, manifest.name, manifest.version, manifest.upload_id))

