"""One contract for both registry stores: a local folder and S3 on a real SeaweedFS server (started once here).

Racing writers and a killed upload run in separate processes (store_worker.py), as real publishers would.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from services.seaweedfs import seaweedfs

from workbench.features.sharing.local_store import LocalStore
from workbench.features.sharing.s3_store import S3Store
from workbench.features.sharing.store import StoreError

WORKER = Path(__file__).with_name("store_worker.py")
PART = 5 * 1024 * 1024  # S3's smallest part size, so a test file has many parts
_buckets = itertools.count()


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as s3:
        yield s3


@pytest.fixture(params=["local", "s3"])
def spec(request, tmp_path) -> dict:
    """How to open a fresh, empty store (a JSON-able dict, so other processes can open the same store)."""
    if request.param == "local":
        return {"kind": "local", "root": str(tmp_path / "registry"), "resumes": False}
    s3 = request.getfixturevalue("s3_server")
    bucket = f"contract-{next(_buckets)}"
    s3.minio().make_bucket(bucket)
    return {"kind": "s3", "endpoint": s3.endpoint, "bucket": bucket, "access_key": s3.access_key,
            "secret_key": s3.secret_key, "part_size": PART, "parallel": 2, "resumes": True}


@pytest.fixture
def store(spec):
    """The store `spec` names, opened in this process (store_worker.py opens it the same way)."""
    args = {k: v for k, v in spec.items() if k not in ("kind", "resumes")}
    return LocalStore(**args) if spec["kind"] == "local" else S3Store(**args)


def random_file(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        for _ in range(0, size, 1 << 20):
            f.write(os.urandom(min(1 << 20, size - f.tell())))
    return path


def worker(spec: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKER), json.dumps(spec), *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)


def test_file_and_bytes_round_trip_byte_identical(store, tmp_path):
    source = random_file(tmp_path / "weights.pt", 2 * PART + 12345)  # three parts on S3
    seen: list[tuple[int, int]] = []
    store.put_file("north/cars/1.0.0/uploads/u1/weights.pt", source, lambda done, total: seen.append((done, total)))
    assert seen[-1] == (source.stat().st_size,) * 2 and [d for d, _ in seen] == sorted(d for d, _ in seen)
    store.get_file("north/cars/1.0.0/uploads/u1/weights.pt", tmp_path / "out" / "weights.pt")
    assert (tmp_path / "out" / "weights.pt").read_bytes() == source.read_bytes()
    assert store.size("north/cars/1.0.0/uploads/u1/weights.pt") == source.stat().st_size
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["weights.pt"]  # no temp file left

    store.put_file("north/cars/1.0.0/uploads/u1/card.md", _write(tmp_path / "card.md", "模型卡\n".encode()))
    assert store.get_bytes("north/cars/1.0.0/uploads/u1/card.md") == "模型卡\n".encode()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_create_if_absent_refuses_the_second_write(store):
    key = "north/cars/1.0.0/release.json"
    assert store.put_bytes_if_absent(key, b'{"first": true}') is True
    assert store.put_bytes_if_absent(key, b'{"second": true}') is False
    assert store.get_bytes(key) == b'{"first": true}'


def test_racing_processes_create_if_absent_exactly_one_wins(spec, store):
    writers = [worker(spec, "race") for _ in range(4)]
    try:
        assert all(w.stdout.readline().strip() == "ready" for w in writers)
        for trial in range(15):
            key, start = f"north/cars/1.{trial}.0/release.json", time.time() + 0.1
            for w in writers:
                w.stdin.write(f"{key} {start}\n")
                w.stdin.flush()
            results = [w.stdout.readline().strip() for w in writers]
            assert sorted(results) == ["False", "False", "False", "True"], (trial, results)
            winner = writers[results.index("True")]
            assert store.get_bytes(key) == f"writer {winner.pid}".encode()
    finally:
        for w in writers:
            w.stdin.close()
            w.wait(timeout=30)


def test_killed_upload_leaves_nothing_and_the_next_put_succeeds(spec, store, tmp_path):
    source = random_file(tmp_path / "big.pt", 64 * 1024 * 1024 + 777)
    key = "north/cars/2.0.0/uploads/u7/big.pt"
    proc = worker(spec, "put", key, str(source), str(20 * 1024 * 1024))
    lines = []
    while (line := proc.stdout.readline().strip()) != "paused":
        assert line.startswith("progress"), (line, proc.stderr.read() if proc.poll() is not None else "")
        lines.append(line)
    os.kill(proc.pid, signal.SIGKILL)  # in the middle of the upload
    proc.wait(timeout=10)
    assert not store.exists(key) and store.list_keys("north/") == []

    seen: list[tuple[int, int]] = []
    store.put_file(key, source, lambda done, total: seen.append((done, total)))
    if spec["resumes"]:  # S3: the parts the killed process uploaded are kept
        assert seen[0][0] >= 20 * 1024 * 1024, seen[0]
    store.get_file(key, tmp_path / "back.pt")
    assert (tmp_path / "back.pt").read_bytes() == source.read_bytes()
    assert store.list_keys("north/") == [key]


def test_a_read_larger_than_its_cap_is_refused_and_leaves_nothing(store, tmp_path):
    """The size is known before the body is read (local: stat; S3: the answer's Content-Length)."""
    key, size = "north/cars/3.0.0/uploads/u1/preview.jpg", 5 * 1024 * 1024 + 5  # above the default cap (4 MiB)
    store.put_file(key, random_file(tmp_path / "p.jpg", size))
    assert len(store.get_bytes(key, max_bytes=size)) == size
    store.get_file(key, tmp_path / "whole.jpg", max_bytes=size)
    assert (tmp_path / "whole.jpg").stat().st_size == size
    for call in (lambda: store.get_bytes(key, max_bytes=size - 1), lambda: store.get_bytes(key),
                 lambda: store.get_file(key, tmp_path / "out" / "p.jpg", max_bytes=1024)):
        with pytest.raises(StoreError) as caught:
            call()
        assert caught.value.code == "registry_too_big"
        assert (caught.value.problems[0].params["item"], caught.value.problems[0].params["size"]) == (key, f"{size:,}")
    assert list(tmp_path.glob("out/*")) == []  # no temp file left


def test_missing_key_is_registry_not_found(store, tmp_path):
    assert store.exists("north/none/1.0.0/release.json") is False
    for call in (lambda: store.get_bytes("north/none/1.0.0/release.json"),
                 lambda: store.size("north/none/1.0.0/release.json"),
                 lambda: store.get_file("north/none/1.0.0/release.json", tmp_path / "dest.json")):
        with pytest.raises(StoreError) as caught:
            call()
        assert caught.value.code == "registry_not_found"
    assert not (tmp_path / "dest.json").exists() and list(tmp_path.glob("*dest.json*")) == []


def test_list_by_prefix_and_delete_prefix(store):
    keys = ["north/a/1.0.0/release.json", "north/a/1.0.0/uploads/u1/w.pt", "north/ab/1.0.0/release.json",
            "south/a/1.0.0/release.json"]
    for key in keys:
        assert store.put_bytes_if_absent(key, key.encode())
    assert store.list_keys("north/a/") == keys[:2]
    assert store.list_keys("north/a") == keys[:3]  # a plain string prefix, like S3
    assert store.list_keys("") == sorted(keys) and store.list_keys("east/") == []
    store.delete_prefix("north/a/1.0.0/uploads/")
    assert store.list_keys("") == [keys[0], keys[2], keys[3]]


@pytest.mark.parametrize("key", ["../escape", "/abs/key", "north\\a", "north/../south/x", "north//x", ""])
def test_unsafe_keys_are_refused(store, key):
    with pytest.raises(StoreError) as caught:
        store.put_bytes_if_absent(key, b"x")
    assert caught.value.code == "registry_bad_key"
