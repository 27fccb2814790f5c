"""The registry's storage interface (one Protocol, two backends: a local folder and S3) and its errors and keys.

Keys use "/" like S3 object names. Layout (see the design of issue 5):
    <district>/<name>/<version>/release.json                       written last, create-if-absent
    <district>/<name>/<version>/uploads/<upload_id>/<file path>    the files of one publish attempt
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from workbench.core.errors import Problem, WorkbenchError

Progress = Callable[[int, int], None]  # (bytes done, total bytes)
TEMP_MARK = ".wbtmp-"  # local temp files start with this; no key segment may
ACCESS_SETTING = "WORKBENCH_REGISTRY_ACCESS_KEY"
SECRET_SETTING = "WORKBENCH_REGISTRY_SECRET_KEY"
DISTRICT_SETTING = "WORKBENCH_REGISTRY_DISTRICT"
URL_SETTING = "WORKBENCH_REGISTRY_URL"
ENDPOINT_SETTING = "WORKBENCH_REGISTRY_ENDPOINT"
# What one registry read may hold in memory, checked before the object is read (the store is another district's data):
# release.json is the manifest with its pipeline (a bundled pipeline's is 5-10 KB, a pipeline at most ~1 MB).
RELEASE_MAX_BYTES = 4 * 1024 * 1024
READ_MAX_BYTES = RELEASE_MAX_BYTES  # get_bytes without a cap of its own


class StoreError(WorkbenchError):
    """A store operation failed: `code` is one of registry_not_found, registry_access_denied, registry_unreachable,
    registry_bad_credentials, registry_version_exists, ... ; `field` names the setting to fix, when there is one."""

    def __init__(self, code: str, /, field: str | None = None, **params: Any):
        self.code = code
        super().__init__([Problem(code=code, field=field, params=params)])


@runtime_checkable
class RegistryStore(Protocol):
    """What the registry needs from a storage backend. Every method raises StoreError on failure."""

    def put_file(self, key: str, path: Path, progress: Progress | None = None) -> None:
        """Upload a file (large files in parts; an interrupted upload of the same key resumes where possible)."""

    def put_bytes_if_absent(self, key: str, data: bytes) -> bool:
        """Create `key` atomically; False (nothing written) if it exists, also when two writers race."""

    def get_bytes(self, key: str, max_bytes: int = READ_MAX_BYTES) -> bytes:
        """The object's bytes; registry_not_found if it does not exist, registry_too_big (nothing read) if it holds
        more than `max_bytes`: the size is checked before the object is read, then at most max_bytes + 1 are read."""

    def get_file(self, key: str, dest: Path, progress: Progress | None = None, max_bytes: int | None = None) -> None:
        """Download into `dest` atomically (a temp file beside it, then rename); with `max_bytes`, an object larger
        than that is refused (registry_too_big) before or while downloading, and no file is left."""

    def list_keys(self, prefix: str) -> list[str]:
        """Every key starting with `prefix` (plain string prefix, like S3), sorted."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...

    def delete_prefix(self, prefix: str) -> None:
        """Delete every key starting with `prefix` (and, on S3, unfinished uploads there)."""

    def describe(self, lang: str | None = None) -> str:
        """Where this store is, for messages (in `lang`, default the current language); never contains a secret."""


def too_big(key: str, store: str, max_bytes: int, size: int | None = None) -> StoreError:
    """registry_too_big: the object `key` holds more than a read of it allows (size None: found while reading)."""
    return StoreError("registry_too_big", item=key, store=store, cap=f"{max_bytes:,}",
                      size=f"{size:,}" if size is not None else f"> {max_bytes:,}")


def check_key(key: str, *, prefix: bool = False) -> str:
    """`key` if it is a safe relative key, else a registry_bad_key problem. Prefixes may be empty or end with "/"."""
    reason = None
    if not isinstance(key, str) or (not key and not prefix):
        reason = "empty"
    elif key.startswith("/"):
        reason = "starts with /"
    elif "\\" in key:
        reason = "contains a backslash"
    elif "\x00" in key:
        reason = "contains a NUL character"
    else:
        parts = key.split("/")
        if prefix and key.endswith("/"):
            parts = parts[:-1]
        if prefix and key == "":
            parts = []
        for part in parts:
            if part in ("", ".", ".."):
                reason = "has an empty, '.' or '..' segment"
            elif part.startswith(TEMP_MARK):
                reason = f"a segment starts with {TEMP_MARK}"
    if reason:
        raise StoreError("registry_bad_key", item=str(key), detail=reason)
    return key


def _part(value: str) -> str:
    if not value or "/" in value:
        raise StoreError("registry_bad_key", item=str(value), detail="a name part is empty or contains /")
    return value


def version_prefix(district: str, name: str, version: str) -> str:
    """`<district>/<name>/<version>/`: everything of one version."""
    return check_key(f"{_part(district)}/{_part(name)}/{_part(version)}/", prefix=True)


def release_key(district: str, name: str, version: str) -> str:
    """The key of a version's release.json (its existence means the version exists)."""
    return version_prefix(district, name, version) + "release.json"


def upload_prefix(district: str, name: str, version: str, upload_id: str) -> str:
    """`<district>/<name>/<version>/uploads/<upload_id>/`: the files of one publish attempt."""
    return check_key(version_prefix(district, name, version) + f"uploads/{_part(upload_id)}/", prefix=True)


def file_key(district: str, name: str, version: str, upload_id: str, relative: str) -> str:
    """The key of one bundle file inside its upload folder."""
    return check_key(upload_prefix(district, name, version, upload_id) + relative)
