"""Fetch a published version: read its release, judge the signature, download every file and check its hash.

Nothing from the store is opened as a model (let alone unpickled) here: the files land in a staging folder, every
size and sha256 is compared with the signed manifest, and only a fully verified bundle is moved to its destination.
Policy (`WORKBENCH_REGISTRY_POLICY`): `refuse` (default) refuses unsigned, untrusted and badly signed releases;
`warn` lets them through with a warning. A file that does not match its hash is always refused.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import Problem, WorkbenchError
from workbench.features.sharing.bundle import verify_files
from workbench.features.sharing.keys import trusted_keys
from workbench.features.sharing.manifest import Release
from workbench.features.sharing.signing import Verdict, verify
from workbench.features.sharing.store import RELEASE_MAX_BYTES, RegistryStore, StoreError, file_key, release_key
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require

POLICY_SETTING = "WORKBENCH_REGISTRY_POLICY"
POLICIES = ("refuse", "warn")
FileProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Pulled:
    """A verified bundle on this machine."""

    folder: Path
    release: Release
    verdict: Verdict
    warnings: tuple[Problem, ...] = ()


def trust_policy() -> str:
    """`refuse` unless WORKBENCH_REGISTRY_POLICY says `warn`; any other value is a problem naming the setting."""
    policy = os.environ.get(POLICY_SETTING, "").strip().lower() or "refuse"
    if policy not in POLICIES:
        raise WorkbenchError([Problem("registry_bad_policy", field=POLICY_SETTING,
                                      params={"value": policy, "allowed": ", ".join(POLICIES)})])
    return policy


def read_release(store: RegistryStore, district: str, name: str, version: str) -> Release:
    """The release stored for (district, name, version); one whose manifest names another place is refused."""
    key = release_key(district, name, version)
    try:
        data = store.get_bytes(key, max_bytes=RELEASE_MAX_BYTES)  # size checked before it is read
    except StoreError as exc:
        if exc.code != "registry_not_found":
            raise
        raise WorkbenchError([Problem("registry_version_unknown", field="ref",
                                      params={"ref": f"{district}/{name}@{version}"})]) from None
    release = Release.from_bytes(data, key)
    m = release.manifest
    if (m.district, m.name, m.version) != (district, name, version):  # e.g. a release copied into another prefix
        raise WorkbenchError([Problem("registry_release_mismatch", field=key, params={
            "key": key, "found": f"{m.district}/{m.name}/{m.version}"})])
    return release


def judge(release: Release, policy: str | None = None) -> tuple[Verdict, tuple[Problem, ...]]:
    """The signature verdict, and the warning it gives under `warn`; under `refuse` an untrusted release raises."""
    verdict = verify(release, trusted_keys())
    problem = verdict.problem()
    if problem is None:
        return verdict, ()
    if (policy or trust_policy()) == "refuse":
        raise WorkbenchError([problem])
    return verdict, (Problem(problem.code, field=problem.field, severity="warning", params=problem.params),)


def pull(store: RegistryStore, district: str, name: str, version: str, dest: str | Path,
         progress: FileProgress | None = None, policy: str | None = None, actor: Actor | None = None) -> Pulled:
    """Download and verify a version into `dest` (created; must not exist yet)."""
    actor = require(actor, Permission.REGISTRY_PULL)
    dest = Path(dest).expanduser()
    if dest.exists():
        raise WorkbenchError([Problem("registry_dest_exists", field="dest", params={"path": str(dest)})])
    release = read_release(store, district, name, version)
    verdict, warnings = judge(release, policy)
    manifest = release.manifest
    staging = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.partial")
    staging.mkdir(parents=True)
    try:
        for entry in manifest.files:
            report = (lambda done, total, path=entry.path: progress(path, done, total)) if progress else None
            target = staging / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            store.get_file(file_key(district, name, version, manifest.upload_id, entry.path), target, report,
                           max_bytes=entry.size)  # a file larger than its signed size is not downloaded
        problems = verify_files(staging, manifest)
        if problems:
            raise WorkbenchError(problems)
        staging.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    audit.record(actor, "registry.pull", release_key(district, name, version), after={"trust": verdict.status})
    return Pulled(dest, release, verdict, warnings)
