"""Multipart upload with part-level resume, built from the minio SDK's own multipart calls.

minio 7.2 has no public resume API, but its client carries the S3 multipart operations as (underscore) methods:
`_create_multipart_upload`, `_upload_part`, `_list_multipart_uploads`, `_list_parts`, `_complete_multipart_upload`,
`_abort_multipart_upload` (they sign, send and parse; nothing here speaks HTTP). They exist since minio 7.0; the
contract tests (tests/workbench/features/sharing/test_store_contract.py) exercise every one on a real server.

Resume: an unfinished upload of the same key (a killed publisher's) is found with ListMultipartUploads; its parts
whose size and MD5 (= the part's ETag without SSE-KMS) match the local file are kept, the others are sent again,
then the upload is completed. Until CompleteMultipartUpload nothing is visible at the key.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from minio import Minio
from minio.datatypes import Part, Upload
from minio.error import S3Error

from workbench.features.sharing.store import Progress


def unfinished_uploads(client: Minio, bucket: str, prefix: str) -> Iterator[Upload]:
    """Unfinished multipart uploads whose key starts with `prefix` (all pages)."""
    key_marker = upload_marker = None
    while True:
        page = client._list_multipart_uploads(
            bucket, prefix=prefix, key_marker=key_marker, upload_id_marker=upload_marker)
        yield from page.uploads
        if not page.is_truncated or not page.uploads:
            return
        key_marker, upload_marker = page.uploads[-1].object_name, page.uploads[-1].upload_id


def _parts(client: Minio, bucket: str, key: str, upload_id: str) -> dict[int, Part]:
    found: dict[int, Part] = {}
    marker = None
    while True:
        page = client._list_parts(bucket, key, upload_id, part_number_marker=marker)
        found.update((p.part_number, p) for p in page.parts)
        if not page.is_truncated or not page.parts:
            return found
        marker = page.next_part_number_marker or str(page.parts[-1].part_number)


def _reusable(client: Minio, bucket: str, key: str, upload_id: str, path: Path, part_size: int,
              sizes: dict[int, int]) -> dict[int, str]:
    """Parts already on the server whose size and MD5 match the local file: part number -> ETag."""
    done: dict[int, str] = {}
    with open(path, "rb") as f:
        for n, part in sorted(_parts(client, bucket, key, upload_id).items()):
            if sizes.get(n) == part.size:
                f.seek((n - 1) * part_size)
                if hashlib.md5(f.read(part.size), usedforsecurity=False).hexdigest() == part.etag.strip('"'):
                    done[n] = part.etag
    return done


def put_in_parts(client: Minio, bucket: str, key: str, path: Path, part_size: int, parallel: int,
                 progress: Progress | None = None) -> None:
    """Upload `path` to `key` in parts of `part_size` (`parallel` at a time), resuming an unfinished upload."""
    total = path.stat().st_size
    count = -(-total // part_size)
    sizes = {n: min(part_size, total - (n - 1) * part_size) for n in range(1, count + 1)}
    previous = sorted((u for u in unfinished_uploads(client, bucket, key) if u.object_name == key),
                      key=lambda u: u.initiated_time.timestamp() if u.initiated_time else 0.0)
    done: dict[int, str] = {}
    upload_id = previous[-1].upload_id if previous else None
    if upload_id:
        try:
            done = _reusable(client, bucket, key, upload_id, path, part_size, sizes)
        except S3Error as exc:  # the unfinished upload vanished meanwhile (aborted): start afresh
            if exc.code != "NoSuchUpload":
                raise
            upload_id = None
    if not upload_id:
        upload_id = client._create_multipart_upload(
            bucket, key, {"Content-Type": "application/octet-stream"})
    sent = sum(sizes[n] for n in done)
    if progress:
        progress(sent, total)

    def upload(n: int) -> tuple[int, str]:
        with open(path, "rb") as f:
            f.seek((n - 1) * part_size)
            data = f.read(sizes[n])
        return n, client._upload_part(bucket, key, data, None, upload_id, n)

    with ThreadPoolExecutor(parallel) as pool:  # progress is reported from the caller's thread
        futures = [pool.submit(upload, n) for n in sizes if n not in done]
        try:
            for future in as_completed(futures):
                n, etag = future.result()
                done[n], sent = etag, sent + sizes[n]
                if progress:
                    progress(sent, total)
        except BaseException:  # a failed part (or Ctrl+C): stop sending the rest; the upload stays resumable
            for future in futures:
                future.cancel()
            raise
    client._complete_multipart_upload(
        bucket, key, upload_id, [Part(part_number=n, etag=done[n]) for n in sorted(done)])
    for stale in previous[:-1]:  # older unfinished attempts at the same key
        with contextlib.suppress(S3Error):
            client._abort_multipart_upload(bucket, key, stale.upload_id)
