"""The registry in an S3 bucket (MinIO, SeaweedFS, AWS) through the `minio` SDK.

- `put_bytes_if_absent` is a PutObject with `If-None-Match: *`: the server creates the object only if the key is
  free, atomically (measured race-safe on SeaweedFS 4.48; AWS S3 and MinIO document the same header).
- `put_file` uploads large files in parts and resumes at part level: an unfinished multipart upload of the same key
  (a killed publisher's) is found with ListMultipartUploads/ListParts; parts whose size and MD5 (= their ETag) match
  the local file are kept, the rest uploaded, then the upload is completed. Nothing is visible at the key before that.
- Errors become StoreError codes; no message, describe() or repr contains the secret key.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import InvalidResponseError, S3Error, ServerError

from workbench.core.i18n import t
from workbench.features.sharing.s3_parts import put_in_parts, unfinished_uploads
from workbench.features.sharing.store import (
    ACCESS_SETTING,
    ENDPOINT_SETTING,
    READ_MAX_BYTES,
    SECRET_SETTING,
    TEMP_MARK,
    URL_SETTING,
    Progress,
    StoreError,
    check_key,
    too_big,
)

MIN_PART = 5 * 1024 * 1024  # S3's smallest part (except the last)
DEFAULT_PART = 16 * 1024 * 1024
CHUNK = 1024 * 1024
NOT_FOUND = {"NoSuchKey", "NoSuchObject", "NoSuchUpload"}
DENIED = {"AccessDenied", "AllAccessDisabled"}


class S3Store:
    """One bucket. `endpoint` is host:port or http(s)://host:port (then `secure` follows the scheme)."""

    def __init__(self, endpoint: str, bucket: str, access_key: str, secret_key: str, secure: bool | None = None,
                 region: str = "us-east-1", *, part_size: int = DEFAULT_PART, parallel: int = 3,
                 connect_timeout: float = 10.0, read_timeout: float = 120.0):
        parts = urlsplit(endpoint if "://" in endpoint else f"//{endpoint}")
        if secure is None:
            secure = parts.scheme != "http"  # https, or no scheme (then https like the SDK)
        self.secure = secure
        self.host, self.bucket, self.access_key = parts.netloc, bucket, access_key
        self.part_size, self.parallel = max(part_size, MIN_PART), max(parallel, 1)
        http = urllib3.PoolManager(  # retry only what was never sent (connect) or refused (5xx): a conditional PUT
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout), maxsize=self.parallel + 4,
            retries=urllib3.Retry(total=3, connect=3, read=0, other=0, status=3, backoff_factor=0.2,
                                  status_forcelist=[500, 502, 503, 504]))  # re-sent after a lost answer would fail
        self._client = Minio(self.host, access_key=access_key, secret_key=secret_key, secure=self.secure,
                             region=region, http_client=http)

    def __repr__(self) -> str:
        return f"S3Store(endpoint={self.endpoint!r}, bucket={self.bucket!r}, access_key={self.access_key!r})"

    @property
    def endpoint(self) -> str:
        return f"{'https' if self.secure else 'http'}://{self.host}"

    def describe(self, lang: str | None = None) -> str:
        return t("registry.where_s3", lang, bucket=self.bucket, endpoint=self.endpoint, access_key=self.access_key)

    def _error(self, code: str | None, message: str | None, key: str, action: str) -> StoreError:
        """The StoreError for an S3 error code, naming the setting to fix."""
        where = {"store": self.describe(), "item": key}
        if code in NOT_FOUND:
            return StoreError("registry_not_found", **where)
        if code == "NoSuchBucket":
            return StoreError("registry_bucket_missing", field=URL_SETTING, bucket=self.bucket, store=self.describe())
        if code in DENIED:
            return StoreError("registry_access_denied", field=ACCESS_SETTING, action=action, **where)
        if code in ("SignatureDoesNotMatch", "InvalidAccessKeyId"):
            field = SECRET_SETTING if code == "SignatureDoesNotMatch" else ACCESS_SETTING
            return StoreError("registry_bad_credentials", field=field, store=self.describe())
        return StoreError("registry_server_error", detail=f"{code}: {message}", **where)

    @contextlib.contextmanager
    def _mapped(self, key: str, action: str) -> Iterator[None]:
        """Turn SDK and network errors into StoreErrors (never with a secret: only codes and class names)."""
        try:
            yield
        except S3Error as exc:
            raise self._error(exc.code, exc.message, key, action) from None
        except (ServerError, InvalidResponseError) as exc:
            raise StoreError("registry_server_error", detail=type(exc).__name__, store=self.describe(),
                             item=key) from None
        except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise StoreError("registry_unreachable", field=ENDPOINT_SETTING, store=self.describe(),
                             detail=type(reason).__name__) from None

    # --- RegistryStore -----------------------------------------------------------------------------------------
    def put_bytes_if_absent(self, key: str, data: bytes) -> bool:
        check_key(key)
        if self.exists(key):  # cheap answer for the common case (and a guard on servers ignoring the header)
            return False
        for attempt in range(6):
            with self._mapped(key, "write"):
                try:
                    self._client._put_object(self.bucket, key, data, headers={
                        "If-None-Match": "*", "Content-Type": "application/octet-stream"})  # cannot send it
                    return True
                except S3Error as exc:
                    if exc.code == "PreconditionFailed":  # the key exists: another writer won
                        return False
                    if exc.code != "ConditionalRequestConflict" or attempt == 5:
                        raise
            time.sleep(0.05 * (attempt + 1))  # AWS: a racing conditional write is still in flight; ask again
        return False

    def _announced_size(self, response, key: str, max_bytes: int | None) -> int:
        """The object's size from the GET answer's head (Content-Length), refused above `max_bytes` before any of
        the body is read."""
        try:
            size = int(response.headers.get("content-length", 0))
        except (TypeError, ValueError):
            size = 0
        if max_bytes is not None and size > max_bytes:
            raise too_big(key, self.describe(), max_bytes, size)
        return size

    def get_bytes(self, key: str, max_bytes: int = READ_MAX_BYTES) -> bytes:
        check_key(key)
        with self._mapped(key, "read"):
            response = self._client.get_object(self.bucket, key)
            try:
                self._announced_size(response, key, max_bytes)
                data = response.read(max_bytes + 1)
            finally:
                response.close()  # an unread rest is dropped with the connection, not downloaded
                response.release_conn()
        if len(data) > max_bytes:  # a server that announced less than it sends
            raise too_big(key, self.describe(), max_bytes)
        return data

    def get_file(self, key: str, dest: Path, progress: Progress | None = None, max_bytes: int | None = None) -> None:
        check_key(key)
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f"{TEMP_MARK}{secrets.token_hex(6)}-{dest.name}")
        try:
            with self._mapped(key, "read"):
                response = self._client.get_object(self.bucket, key)
                try:
                    total, done = self._announced_size(response, key, max_bytes), 0
                    with open(tmp, "wb") as out:
                        for chunk in response.stream(CHUNK):
                            out.write(chunk)
                            done += len(chunk)
                            if max_bytes is not None and done > max_bytes:
                                raise too_big(key, self.describe(), max_bytes)
                            if progress:
                                progress(done, total)
                finally:
                    response.close()
                    response.release_conn()
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)

    def list_keys(self, prefix: str) -> list[str]:
        check_key(prefix, prefix=True)
        with self._mapped(prefix, "list"):
            return sorted(o.object_name for o in self._client.list_objects(self.bucket, prefix=prefix, recursive=True)
                          if not o.is_dir)

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except StoreError as exc:
            if exc.code == "registry_not_found":
                return False
            raise
        return True

    def size(self, key: str) -> int:
        check_key(key)
        with self._mapped(key, "read"):
            try:
                return int(self._client.stat_object(self.bucket, key).size)
            except S3Error as exc:  # a HEAD answer has no body: a bad signature looks like plain AccessDenied
                if exc.code == "AccessDenied" and not (exc.response is not None and exc.response.data):
                    self._explain_denied_head(key)
                raise

    def _explain_denied_head(self, key: str) -> None:
        """Ask again with a 1-byte GET, whose error has a body naming the real cause (e.g. SignatureDoesNotMatch)."""
        try:
            response = self._client.get_object(self.bucket, key, offset=0, length=1)
            response.close()
            response.release_conn()
        except S3Error as exc:
            if exc.code != "InvalidRange":  # an empty object: keep the original answer
                raise

    def delete_prefix(self, prefix: str) -> None:
        check_key(prefix, prefix=True)
        with self._mapped(prefix, "delete"):
            keys = [DeleteObject(k) for k in self.list_keys(prefix)]
            for error in self._client.remove_objects(self.bucket, keys):
                raise self._error(error.code, error.message, error.name or prefix, "delete")
            for upload in unfinished_uploads(self._client, self.bucket, prefix):
                self._client._abort_multipart_upload(self.bucket, upload.object_name, upload.upload_id)

    def put_file(self, key: str, path: Path, progress: Progress | None = None) -> None:
        check_key(key)
        path = Path(path)
        if not path.is_file():
            raise StoreError("registry_source_missing", path=str(path))
        total = path.stat().st_size
        with self._mapped(key, "write"):
            if total <= self.part_size:
                with open(path, "rb") as f:
                    self._client.put_object(self.bucket, key, f, total)
                if progress:
                    progress(total, total)
                return
            put_in_parts(self._client, self.bucket, key, path, self.part_size, self.parallel, progress)
