"""What the registry offers: every published version (those with a release.json), its trust verdict, and search.

A version whose release.json cannot be read or whose manifest names another place is listed as broken, never
hidden: a district should see that something in the registry is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from packaging.version import Version

from workbench.core.errors import Problem, WorkbenchError
from workbench.features.sharing.keys import trusted_keys
from workbench.features.sharing.manifest import Release
from workbench.features.sharing.pull import read_release
from workbench.features.sharing.signing import TrustedKey, Verdict, verify
from workbench.features.sharing.store import RegistryStore

RELEASE_FILE = "release.json"


@dataclass(frozen=True)
class Entry:
    """One published version as the catalog shows it."""

    district: str
    name: str
    version: str
    release: Release | None = None
    verdict: Verdict | None = None
    problem: Problem | None = None  # why the release cannot be read

    @property
    def ref(self) -> str:
        return f"{self.district}/{self.name}@{self.version}"

    @property
    def trusted(self) -> bool:
        return self.verdict is not None and self.verdict.trusted

    def matches(self, text: str = "", tag: str = "", task: str = "", district: str = "") -> bool:
        """Search: `text` in the name, display names or descriptions; tag, task and district exact (empty = any)."""
        if district and self.district != district:
            return False
        m = self.release.manifest if self.release else None
        if (tag or task) and m is None:
            return False
        if (tag and tag not in m.tags) or (task and m.task != task):
            return False
        words = [self.name, self.district] + (
            [m.title.en, m.title.zh, m.description.en, m.description.zh, *m.tags] if m else [])
        return not text or any(text.lower() in w.lower() for w in words)


def _versions(store: RegistryStore) -> list[tuple[str, str, str]]:
    found = []
    for key in store.list_keys(""):
        parts = key.split("/")
        if len(parts) == 4 and parts[3] == RELEASE_FILE:
            found.append((parts[0], parts[1], parts[2]))
    return found


def _entry(store: RegistryStore, where: tuple[str, str, str], keys: list[TrustedKey]) -> Entry:
    try:
        release = read_release(store, *where)
    except WorkbenchError as exc:
        return Entry(*where, problem=exc.problems[0])
    return Entry(*where, release=release, verdict=verify(release, keys))


def list_versions(store: RegistryStore) -> list[Entry]:
    """Every published version, newest version first within each district/name."""
    keys = trusted_keys()
    entries = [_entry(store, where, keys) for where in _versions(store)]
    entries.sort(key=lambda e: _order(e.version), reverse=True)
    return sorted(entries, key=lambda e: (e.district, e.name))  # stable: versions stay newest first


def _order(version: str) -> Version:
    try:
        return Version(version)
    except ValueError:
        return Version("0")


def latest(entries: Iterable[Entry]) -> list[Entry]:
    """The newest readable version of each district/name (entries in list_versions order)."""
    seen: dict[tuple[str, str], Entry] = {}
    for e in entries:
        if e.release is not None:
            seen.setdefault((e.district, e.name), e)
    return list(seen.values())


def find(entries: Iterable[Entry], district: str, name: str, version: str | None = None) -> Entry | None:
    """The entry for district/name at `version`, or the newest one when `version` is None."""
    wanted = [e for e in entries if e.district == district and e.name == name]
    if version is None:
        return next(iter(latest(wanted)), None)
    return next((e for e in wanted if e.version == version), None)
