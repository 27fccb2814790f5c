"""The registry in a local (or network-mounted) folder, with the same semantics and failure modes as S3.

Writes go to a temp file in the target folder first: `put_bytes_if_absent` then hard-links it to the final name
(`os.link` fails if the name exists, so exactly one of several racing processes wins), `put_file`/`get_file` rename
it over the final name (`os.replace`). A killed writer leaves only a temp file, which no listing shows.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

from workbench.core.i18n import t
from workbench.features.sharing.store import (
    DISTRICT_SETTING,
    READ_MAX_BYTES,
    TEMP_MARK,
    Progress,
    StoreError,
    check_key,
    too_big,
)

CHUNK = 8 * 1024 * 1024


class LocalStore:
    """A registry folder. With `district`, writes and deletes outside `<district>/` are refused like S3 would."""

    def __init__(self, root: Path | str, district: str | None = None):
        self.root = Path(root).expanduser().resolve()
        self.district = district

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r}, district={self.district!r})"

    def describe(self, lang: str | None = None) -> str:
        return t("registry.where_local", lang, path=str(self.root))

    # --- helpers -----------------------------------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def _writable(self, key: str, action: str) -> None:
        if self.district is not None and not key.startswith(f"{self.district}/"):
            raise StoreError("registry_access_denied", field=DISTRICT_SETTING, store=self.describe(), item=key,
                             action=action)

    def _os_error(self, exc: OSError, key: str) -> StoreError:
        if isinstance(exc, (FileNotFoundError, IsADirectoryError, NotADirectoryError)):
            return StoreError("registry_not_found", item=key, store=self.describe())
        if isinstance(exc, PermissionError):
            return StoreError("registry_access_denied", field=DISTRICT_SETTING, store=self.describe(), item=key,
                              action="access")
        return StoreError("registry_io_failed", store=self.describe(), item=key, detail=exc.strerror or str(exc))

    def _temp_beside(self, final: Path) -> Path:
        final.parent.mkdir(parents=True, exist_ok=True)
        return final.with_name(f"{TEMP_MARK}{secrets.token_hex(6)}-{final.name}")

    @staticmethod
    def _copy(src, dst, total: int, progress: Progress | None, limit: int | None = None) -> bool:
        """Copy src to dst; False (stopped) as soon as more than `limit` bytes came."""
        done = 0
        if progress:
            progress(0, total)
        while chunk := src.read(CHUNK if limit is None else min(CHUNK, limit + 1 - done)):
            dst.write(chunk)
            done += len(chunk)
            if limit is not None and done > limit:
                return False
            if progress:
                progress(done, total)
        dst.flush()
        os.fsync(dst.fileno())
        return True

    def _open_regular(self, key: str, max_bytes: int | None):
        """The object's file opened for reading, its size checked against `max_bytes` before anything is read."""
        path = self._path(key)
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a folder, a FIFO, a device: not an object
            raise FileNotFoundError(errno.ENOENT, "not a file", str(path))
        if max_bytes is not None and info.st_size > max_bytes:
            raise too_big(key, self.describe(), max_bytes, info.st_size)
        f = open(path, "rb")  # noqa: SIM115 - the caller closes it
        size = os.fstat(f.fileno()).st_size
        if max_bytes is not None and size > max_bytes:  # replaced between the two looks
            f.close()
            raise too_big(key, self.describe(), max_bytes, size)
        return f, size

    # --- RegistryStore -----------------------------------------------------------------------------------------
    def put_file(self, key: str, path: Path, progress: Progress | None = None) -> None:
        self._writable(key, "write")
        final = self._path(key)
        tmp = None
        try:
            tmp = self._temp_beside(final)
            with open(path, "rb") as src, open(tmp, "wb") as dst:
                self._copy(src, dst, os.fstat(src.fileno()).st_size, progress)
            os.replace(tmp, final)
        except OSError as exc:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            if isinstance(exc, FileNotFoundError) and not Path(path).is_file():
                raise StoreError("registry_source_missing", path=str(path)) from exc
            raise self._os_error(exc, key) from exc

    def put_bytes_if_absent(self, key: str, data: bytes) -> bool:
        self._writable(key, "write")
        final = self._path(key)
        tmp = None
        try:
            tmp = self._temp_beside(final)
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.link(tmp, final)  # atomic create: fails with EEXIST if another writer got there first
            return True
        except FileExistsError:
            return False
        except OSError as exc:
            raise self._os_error(exc, key) from exc
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)

    def get_bytes(self, key: str, max_bytes: int = READ_MAX_BYTES) -> bytes:
        try:
            f, _ = self._open_regular(key, max_bytes)
            with f:
                data = f.read(max_bytes + 1)
        except OSError as exc:
            raise self._os_error(exc, key) from exc
        if len(data) > max_bytes:  # grew while being read
            raise too_big(key, self.describe(), max_bytes)
        return data

    def get_file(self, key: str, dest: Path, progress: Progress | None = None, max_bytes: int | None = None) -> None:
        dest = Path(dest)
        tmp = None
        try:
            src, size = self._open_regular(key, max_bytes)
            with src:
                tmp = self._temp_beside(dest)
                with open(tmp, "wb") as dst:
                    complete = self._copy(src, dst, size, progress, max_bytes)
            if not complete:
                raise too_big(key, self.describe(), max_bytes)
            os.replace(tmp, dest)
        except OSError as exc:
            raise self._os_error(exc, key) from exc
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)

    def _walk(self, prefix: str) -> Iterator[str]:
        """Keys under the deepest folder that `prefix` names, filtered by the plain string prefix."""
        check_key(prefix, prefix=True)
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root.joinpath(*folder.split("/")) if folder else self.root
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = [d for d in dirnames if not d.startswith(TEMP_MARK)]
            rel = Path(dirpath).relative_to(self.root).as_posix()
            for name in filenames:
                key = name if rel == "." else f"{rel}/{name}"
                if not name.startswith(TEMP_MARK) and key.startswith(prefix):
                    yield key

    def list_keys(self, prefix: str) -> list[str]:
        return sorted(self._walk(prefix))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        try:
            path = self._path(key)
            if not path.is_file():
                raise FileNotFoundError(errno.ENOENT, "not a file", str(path))
            return path.stat().st_size
        except OSError as exc:
            raise self._os_error(exc, key) from exc

    def delete_prefix(self, prefix: str) -> None:
        self._writable(prefix, "delete")
        for key in list(self._walk(prefix)):
            try:
                self._path(key).unlink(missing_ok=True)
            except OSError as exc:
                raise self._os_error(exc, key) from exc
        self._prune(prefix)

    def _prune(self, prefix: str) -> None:
        """Remove folders left empty under the prefix's folder (and, for a folder prefix, unfinished temp files there,
        as S3 aborts unfinished uploads), then empty parents up to the root."""
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root.joinpath(*folder.split("/")) if folder else self.root
        for dirpath, _, filenames in os.walk(start, topdown=False):
            if prefix.endswith("/"):
                for name in filenames:
                    if name.startswith(TEMP_MARK):
                        Path(dirpath, name).unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # not empty: keep it
                if Path(dirpath) != self.root:
                    os.rmdir(dirpath)
        current = start.parent
        while current != self.root and self.root in current.parents:
            with contextlib.suppress(OSError):
                current.rmdir()
            current = current.parent
