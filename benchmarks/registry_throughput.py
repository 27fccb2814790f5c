"""Registry throughput: publish and pull of a ~115 MB algorithm bundle vs raw copies of the same bytes, in one run.

Bundle: the vehicle-count pipeline with a YOLO detector whose weights are an untrained yolo11x checkpoint (built
offline from yolo11x.yaml, 114.6 MB: a real large model file, not padding), plus pipeline, model card, evaluation.
Stores, each measured side by side with interleaved repetitions (order rotated), medians reported:
  s3     a SeaweedFS S3 server started here (tests/services/seaweedfs.py)
         publish = workbench.features.sharing.outbox.send (hash check of every file, ed25519-signed release, multipart
         upload,
                   create-if-absent release.json)           vs  minio fput_object of the same files
         pull    = workbench.features.sharing.pull.pull (release + signature check, download, sha256 of every file)
                                                             vs  minio fget_object of the same objects
  local  a registry folder: the same publish/pull           vs  shutil.copyfile (and copyfile + fsync, for reference:
         the local store fsyncs what it writes)
Ratio = raw time / our time (goal >= 0.8). Building the bundle (prepare) is not timed.

Run: .venv/bin/python benchmarks/registry_throughput.py [--repeat 3] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# tests/ gives services.seaweedfs (the test S3 server) and sharing_support (the pipeline); the checkout goes first
# so that `workbench` is the package, not the tests/workbench folder
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

GOAL = 0.8
DISTRICT, BUCKET = "bench", "registry"
DESCRIPTION = {"en": "Throughput benchmark bundle", "zh": "吞吐量基准测试包"}


def big_checkpoint(folder: Path) -> Path:
    """An untrained yolo11x checkpoint (~115 MB), built offline."""
    from workbench.models.ultralytics_env import prepare_ultralytics

    prepare_ultralytics()
    from ultralytics import YOLO

    path = folder / "yolo11x.pt"
    YOLO("yolo11x.yaml").save(str(path))
    return path


def hardlinked(folder: Path, target: Path) -> Path:
    """The same files (same inodes) under `target`, so the raw side reads exactly the bytes we publish."""
    for path in folder.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(folder)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, dest)
    return target


def copy_fsync(src: Path, dest: Path) -> None:
    shutil.copyfile(src, dest)
    with open(dest, "rb+") as f:
        os.fsync(f.fileno())


def timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def run_store(kind: str, store, raw: dict[str, Callable], weights: Path, work: Path, repeat: int,
              times: dict[tuple[str, str, str], list[float]]) -> int:
    """`repeat` publish + pull rounds of our code against the raw operations in `raw`; returns the bundle size."""
    size = 0
    for i in range(repeat):
        size = one_round(kind, store, raw, weights, work, i, times)
        for path in work.glob(f"{kind}-*-{i}"):  # keep the disk use of one round
            shutil.rmtree(path)
        print(f"  {kind} round {i + 1}/{repeat} done", file=sys.stderr)
    return size


def one_round(kind: str, store, raw: dict[str, Callable], weights: Path, work: Path, i: int,
              times: dict[tuple[str, str, str], list[float]]) -> int:
    """Prepare version 1.0.<i> (not timed), then time publishing it and pulling it, ours and raw."""
    from sharing_support import yolo_pipeline

    from workbench.features.sharing.outbox import prepare, send
    from workbench.features.sharing.pull import pull
    from workbench.features.sharing.store import file_key

    name, version = f"throughput-{kind}", f"1.0.{i}"
    folder, manifest = prepare(yolo_pipeline(), name=name, version=version, district=DISTRICT,
                               description=DESCRIPTION, weights=[weights])
    source = hardlinked(folder, work / f"{kind}-src-{i}")
    files = [f.path for f in manifest.files]
    keys = {p: file_key(DISTRICT, name, version, manifest.upload_id, p) for p in files}
    publish_ops = {"ours": lambda: send(folder, manifest, store)}
    publish_ops.update({v: (lambda fn=fn: fn("publish", source, files, i, keys)) for v, fn in raw.items()})
    pull_ops = {"ours": lambda: pull(store, DISTRICT, name, version, work / f"{kind}-pulled-{i}")}
    pull_ops.update({v: (lambda fn=fn, v=v: fn("pull", work / f"{kind}-{v}-{i}", files, i, keys))
                     for v, fn in raw.items()})
    for op, ops in (("publish", publish_ops), ("pull", pull_ops)):
        for variant in rotate(list(ops), i):
            times[(kind, op, variant)].append(timed(ops[variant]))
    return sum(f.size for f in manifest.files)


def rotate(names: list[str], i: int) -> list[str]:
    """Rotate the order so no variant always runs first (cold) or last."""
    return names[i % len(names):] + names[: i % len(names)]


def s3_raw(client) -> dict[str, Callable]:
    def raw(op: str, folder: Path, files: list[str], i: int, keys: dict[str, str]) -> None:
        for p in files:
            if op == "publish":
                client.fput_object(BUCKET, f"raw/{i}/{p}", str(folder / p))
            else:
                client.fget_object(BUCKET, keys[p], str(folder / p))
    return {"minio": raw}


def local_raw(root: Path) -> dict[str, Callable]:
    def variant(copy: Callable[[Path, Path], None]) -> Callable:
        def raw(op: str, folder: Path, files: list[str], i: int, keys: dict[str, str]) -> None:
            for p in files:
                src, dest = (folder / p, root / "raw" / str(i) / p) if op == "publish" else (root / keys[p],
                                                                                               folder / p)
                dest.parent.mkdir(parents=True, exist_ok=True)
                copy(src, dest)
        return raw
    return {"copyfile": variant(shutil.copyfile), "copy+fsync": variant(copy_fsync)}


def report(times: dict[tuple[str, str, str], list[float]], size: int, repeat: int) -> None:
    print(f"\nbundle {size / 1e6:.1f} MB, median of {repeat} rounds; ratio = raw s / ours s (goal >= {GOAL})")
    print(f"{'store':<6} {'op':<8} {'ours s':>7} {'raw':<11} {'raw s':>7} {'ours MB/s':>10} {'raw MB/s':>9} "
          f"{'ratio':>6}  goal")
    for (kind, op, variant), values in times.items():
        if variant == "ours":
            continue
        ours, raw = statistics.median(times[(kind, op, "ours")]), statistics.median(values)
        ratio = raw / ours
        verdict = ("met" if ratio >= GOAL else "NOT met") if variant in ("minio", "copyfile") else "(reference)"
        print(f"{kind:<6} {op:<8} {ours:7.2f} {variant:<11} {raw:7.2f} {size / ours / 1e6:10.1f} "
              f"{size / raw / 1e6:9.1f} {ratio:6.2f}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="registry-throughput-"))
    os.environ["WORKBENCH_HOME"] = str(work / "home")  # keys, outbox and ultralytics settings stay in here
    try:
        from collections import defaultdict

        from services.seaweedfs import seaweedfs

        from workbench.features.sharing import keys
        from workbench.features.sharing.local_store import LocalStore
        from workbench.features.sharing.s3_store import S3Store

        keys.generate(DISTRICT)
        weights = big_checkpoint(work)
        times: dict[tuple[str, str, str], list[float]] = defaultdict(list)
        with seaweedfs(work / "seaweedfs") as s3:
            client = s3.minio()
            client.make_bucket(BUCKET)
            client.fput_object(BUCKET, "warmup/weights.pt", str(weights))  # SeaweedFS grows its volumes on 1st write
            client.fget_object(BUCKET, "warmup/weights.pt", str(work / "warmup.pt"))
            store = S3Store(s3.endpoint, BUCKET, s3.access_key, s3.secret_key)
            size = run_store("s3", store, s3_raw(client), weights, work, args.repeat, times)
        local = work / "local-registry"
        run_store("local", LocalStore(local), local_raw(local), weights, work, args.repeat, times)
        report(times, size, args.repeat)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
