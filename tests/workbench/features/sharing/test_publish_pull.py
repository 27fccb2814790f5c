"""Publish -> list -> pull -> import, on a local folder and on a real S3 server (SeaweedFS), as districts use it.

Attacks come from someone who can write to the store but holds no trusted key: a flipped byte in the weights, a .pt
replaced by a pickle that runs a command (with a matching sha256 in a rewritten, unsigned or self-signed release).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from services.seaweedfs import seaweedfs
from sharing_support import DESCRIPTION, yolo_pipeline

from workbench.core.errors import WorkbenchError
from workbench.core.registry import default_registry
from workbench.engine.spec import load_spec, parse_spec
from workbench.engine.validate import errors_only, validate
from workbench.features.sharing import keys
from workbench.features.sharing.catalog import find, list_versions
from workbench.features.sharing.install import install
from workbench.features.sharing.local_store import LocalStore
from workbench.features.sharing.manifest import Release
from workbench.features.sharing.outbox import outbox_dir, publish_version
from workbench.features.sharing.pull import pull
from workbench.features.sharing.s3_store import S3Store
from workbench.features.sharing.signing import signed_release
from workbench.features.sharing.store import file_key, release_key
from workbench.models import zoo

BUNDLED_ZOO = Path(__file__).resolve().parents[4] / "model_zoo"

_buckets = itertools.count()
SPECS: dict[int, dict] = {}  # id(store) -> how another process opens the same store
REF = ("haidian", "gate-count", "1.0.0")


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as s3:
        yield s3


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        spec = {"root": str(tmp_path / "registry")}
        store = LocalStore(**spec)
    else:
        s3 = request.getfixturevalue("s3_server")
        spec = {"endpoint": s3.endpoint, "bucket": f"publish-{next(_buckets)}", "access_key": s3.access_key,
                "secret_key": s3.secret_key}
        s3.minio().make_bucket(spec["bucket"])
        store = S3Store(**spec)
    SPECS[id(store)] = spec
    return store


@pytest.fixture
def home(zoo_home, monkeypatch):
    """A tmp workbench home with the haidian district's signing key (which it also trusts)."""
    monkeypatch.delenv("WORKBENCH_REGISTRY_POLICY", raising=False)
    keys.generate("haidian")
    return zoo_home


def publish(store, weights, version="1.0.0", **extra):
    return publish_version(yolo_pipeline(), store, name="gate-count", version=version, district="haidian",
                           description=DESCRIPTION, weights=weights, tags=("vehicles",), **extra)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_publish_list_pull_import_round_trip_is_byte_identical(home, store, tiny_weights, tmp_path):
    published = publish(store, tiny_weights, evaluation={"events": {"f1": 1.0}})
    bundle_files = {f.path: f.sha256 for f in published.release.manifest.files}

    (entry,) = list_versions(store)
    assert (entry.district, entry.name, entry.version, entry.trusted) == (*REF, True)
    assert entry.matches("闸口") and entry.matches(tag="vehicles") and not entry.matches(district="chaoyang")

    pulled = pull(store, *REF, tmp_path / "pulled")
    assert {p.relative_to(pulled.folder).as_posix(): sha256(p) for p in pulled.folder.rglob("*") if p.is_file()} \
        == bundle_files
    weights = next(f.path for f in published.release.manifest.files if f.path.endswith(".pt"))
    assert (pulled.folder / weights).read_bytes() == tiny_weights[0].read_bytes()
    assert not outbox_dir(*REF).exists()  # a finished publication leaves nothing to resume

    installed = install(pulled.folder, pulled.release.manifest)
    spec = load_spec(installed.pipeline)
    assert errors_only(validate(spec, default_registry())) == []
    (model,) = installed.models
    assert zoo.resolve_weights(model).suffix == ".onnx"  # ONNX preferred: no pickle is ever loaded
    assert installed.site_pending == {"count_line": ("start", "end")}
    assert spec.meta.model_extra["site_pending"] == {"count_line": ["start", "end"]}
    if isinstance(store, S3Store):  # the S3 secret key lands in no object of the bucket, no description, no repr
        secret = SPECS[id(store)]["secret_key"]
        stored = store.list_keys("")
        assert release_key(*REF) in stored and len(stored) == len(bundle_files) + 1
        assert [k for k in stored if secret.encode() in store.get_bytes(k, max_bytes=1 << 30)] == []
        assert secret not in store.describe() and secret not in repr(store)


def test_an_imported_algorithm_runs_here_on_its_onnx_weights(home, tiny_weights, tmp_path):
    from workbench.engine.runner import RunOptions, run_pipeline
    from workbench.features.synth import generate

    store = LocalStore(tmp_path / "registry")
    publish(store, tiny_weights)
    pulled = pull(store, *REF, tmp_path / "pulled")
    installed = install(pulled.folder, pulled.release.manifest)
    clip = generate("traffic", tmp_path / "clip").video
    summary = run_pipeline(load_spec(installed.pipeline), RunOptions(out_dir=tmp_path / "run", source=str(clip),
                                                                     max_frames=8))
    assert summary["status"] == "done" and summary["outputs"]["video"]["frames"] == 8
    assert summary["per_block_ms"]["detector"] > 0  # the ONNX model really ran on every frame


def test_a_published_version_is_final(home, store, tiny_weights):
    publish(store, tiny_weights)
    with pytest.raises(WorkbenchError) as refused:
        publish(store, [tiny_weights[1]])
    assert refused.value.problems[0].code == "registry_version_exists"
    publish(store, [tiny_weights[1]], version="1.0.1")
    assert [e.version for e in list_versions(store)] == ["1.0.1", "1.0.0"]


def _tamper(store, key: str, data: bytes) -> None:
    """Overwrite an object behind the registry's back (an attacker or a broken disk)."""
    if isinstance(store, LocalStore):
        (store.root / key).write_bytes(data)
    else:
        import io

        store._client.put_object(store.bucket, key, io.BytesIO(data), len(data))


def test_one_flipped_byte_in_the_weights_refuses_the_pull(home, store, tiny_weights, tmp_path):
    manifest = publish(store, tiny_weights).release.manifest
    weights = next(f.path for f in manifest.files if f.path.endswith(".onnx"))
    key = file_key(*REF, manifest.upload_id, weights)
    data = bytearray(store.get_bytes(key, max_bytes=1 << 30))
    data[len(data) // 2] ^= 1
    _tamper(store, key, bytes(data))

    with pytest.raises(WorkbenchError) as refused:
        pull(store, *REF, tmp_path / "pulled")
    assert [(p.code, p.field) for p in refused.value.problems] == [("registry_file_tampered", weights)]
    assert not (tmp_path / "pulled").exists() and list(tmp_path.glob(".pulled*")) == []  # nothing half-pulled


class RunsCommand:
    """Unpickling this runs a shell command (what a malicious checkpoint does)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _swap_in_pickle_payload(store, marker: Path, tmp_path: Path, signer=None) -> None:
    """Replace the .pt with a command-running pickle and rewrite release.json to match its sha256 and size."""
    release = Release.from_bytes(store.get_bytes(release_key(*REF)))
    manifest = release.manifest
    evil = tmp_path / "evil.pt"
    torch.save({"model": RunsCommand(marker)}, evil)
    pt = next(f for f in manifest.files if f.path.endswith(".pt"))
    _tamper(store, file_key(*REF, manifest.upload_id, pt.path), evil.read_bytes())
    files = tuple(f.model_copy(update={"sha256": sha256(evil), "size": evil.stat().st_size}) if f is pt else f
                  for f in manifest.files)
    forged = manifest.model_copy(update={"files": files})
    record = signed_release(forged, signer) if signer else Release(manifest=forged, signature=None)
    _tamper(store, release_key(*REF), record.to_bytes())


@pytest.mark.parametrize("signer", ["unsigned", "own key"])
def test_a_pickle_payload_with_a_matching_hash_is_refused_and_never_runs(home, store, tiny_weights, tmp_path,
                                                                          signer, monkeypatch):
    publish(store, tiny_weights)
    marker = tmp_path / "command-ran"
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _swap_in_pickle_payload(store, marker, tmp_path, Ed25519PrivateKey.generate() if signer == "own key" else None)
    with pytest.raises(WorkbenchError) as refused:
        pull(store, *REF, tmp_path / "pulled")
    expected = "registry_unsigned" if signer == "unsigned" else "registry_untrusted"
    assert [p.code for p in refused.value.problems] == [expected]
    assert not (tmp_path / "pulled").exists()

    monkeypatch.setenv("WORKBENCH_REGISTRY_POLICY", "warn")  # a district that chose to accept unsigned work
    pulled = pull(store, *REF, tmp_path / "pulled")
    assert [p.code for p in pulled.warnings] == [expected]
    pt = next(p for p in pulled.folder.rglob("*.pt"))
    with pytest.raises(WorkbenchError) as unsafe:  # the safe loader still refuses the payload
        zoo.safe_checkpoint(pt)
    assert unsafe.value.problems[0].code == "weights_unsafe"
    assert not marker.exists()


def test_a_missing_block_names_its_plugin(home, store, tiny_weights, tmp_path):
    publish(store, tiny_weights)
    pulled = pull(store, *REF, tmp_path / "pulled")
    registry = default_registry()
    without = type(registry)({k: v for k, v in registry.blocks.items() if k != "rules/line_crossing@v1"})
    with pytest.raises(WorkbenchError) as refused:
        install(pulled.folder, pulled.release.manifest, without)
    (problem,) = refused.value.problems
    assert (problem.code, problem.node, problem.params["block"]) == ("registry_block_missing", "count_line",
                                                                     "rules/line_crossing@v1")
    assert problem.params["distribution"] == "video-workbench"
    assert not list((home / "models").glob("*.yaml"))  # nothing imported


PUBLISH_AND_PAUSE = """
import json, sys, time
from sharing_support import DESCRIPTION, yolo_pipeline
from workbench.features.sharing.local_store import LocalStore
from workbench.features.sharing.s3_store import S3Store
from workbench.features.sharing.outbox import publish_version
spec = json.loads(sys.argv[1])
store = LocalStore(spec["root"]) if "root" in spec else S3Store(**spec)
def progress(path, done, total):
    if path == "pipeline.yaml":  # the weights are up; the rest is not
        print("paused", flush=True)
        time.sleep(600)
publish_version(yolo_pipeline(), store, name="gate-count", version="1.0.0", district="haidian",
                description=DESCRIPTION, weights=sys.argv[2:], progress=progress)
"""


def test_a_publisher_killed_mid_upload_leaves_no_version_and_the_next_publish_resumes(home, store, tiny_weights):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[3]), os.environ.get(
        "PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", PUBLISH_AND_PAUSE, json.dumps(SPECS[id(store)]),
                             *map(str, tiny_weights)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        lines = iter(proc.stdout.readline, "")  # ultralytics may print first
        assert any(line.strip() == "paused" for line in lines), proc.stderr.read()[-3000:]
        assert any(k.endswith(".onnx") for k in store.list_keys("haidian/"))  # files are there...
    finally:
        proc.kill()
        proc.wait()
    assert list_versions(store) == [] and not store.exists(release_key(*REF))  # ...but no version is visible

    published = publish(store, tiny_weights)
    assert any(p.endswith(".onnx") for p in published.skipped_files)  # not sent again
    entry = find(list_versions(store), "haidian", "gate-count")
    assert entry is not None and entry.trusted


PUBLISH_AT = """
import sys, time
from sharing_support import DESCRIPTION, yolo_pipeline
from workbench.core.errors import WorkbenchError
from workbench.features.sharing.local_store import LocalStore
from workbench.features.sharing.s3_store import S3Store
from workbench.features.sharing.outbox import prepare, send
import json
spec = json.loads(sys.argv[1])
store = LocalStore(spec["root"]) if "root" in spec else S3Store(**spec)
folder, manifest = prepare(yolo_pipeline(), name="gate-count", version="1.0.0", district="haidian",
                           description={"en": sys.argv[2], "zh": sys.argv[2]}, weights=sys.argv[3:])
print("ready", flush=True)
time.sleep(max(0.0, float(sys.stdin.readline()) - time.time()))
try:
    send(folder, manifest, store)
    print("won", flush=True)
except WorkbenchError as exc:
    print("lost", exc.problems[0].code, flush=True)
"""


def test_two_districts_machines_racing_to_publish_one_version_end_with_one_winner(home, store, tiny_weights,
                                                                                   tmp_path):
    """Two machines of one district (each its own home with the district key) publish 1.0.0 at the same moment."""
    import shutil
    import time

    procs = []
    for machine in ("a", "b"):
        machine_home = tmp_path / f"machine-{machine}"
        shutil.copytree(home / "keys", machine_home / "keys")
        shutil.copytree(home / "trusted_keys", machine_home / "trusted_keys")
        env = {**os.environ, "WORKBENCH_HOME": str(machine_home),
               "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[3]), os.environ.get("PYTHONPATH", "")])}
        procs.append(subprocess.Popen([sys.executable, "-c", PUBLISH_AT, json.dumps(SPECS[id(store)]),
                                       f"machine {machine}", *map(str, tiny_weights)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    for proc in procs:  # both have built their bundle...
        assert any(line.strip() == "ready" for line in iter(proc.stdout.readline, "")), proc.stderr.read()[-2000:]
    start = time.time() + 0.5
    for proc in procs:  # ...and publish at the same moment
        proc.stdin.write(f"{start}\n")
        proc.stdin.flush()
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        outcomes.append(out.strip().splitlines()[-1] if out.strip() else err[-2000:])
    assert sorted(outcomes) == ["lost registry_version_exists", "won"], outcomes
    (entry,) = list_versions(store)
    winner = "machine a" if outcomes[0] == "won" else "machine b"
    assert entry.trusted and entry.release.manifest.description.en == winner
    loser_upload = [k for k in store.list_keys("haidian/gate-count/1.0.0/uploads/")
                    if f"/{entry.release.manifest.upload_id}/" not in k]
    assert loser_upload == []  # the loser cleaned up its files; the winner's are intact
    pulled = pull(store, *REF, tmp_path / "pulled")
    assert pulled.verdict.trusted


def test_a_nanodet_algorithm_keeps_how_its_onnx_runs_and_old_signatures_still_hold(home, tmp_path):
    """The bundle carries the ONNX runtime description (format, preprocessing, decoder) of a model run without torch;
    a model without one signs exactly the bytes it signed before the field existed."""
    zoo_dir = Path(os.environ["WORKBENCH_ZOO_DIR"])
    for suffix in (".yaml", ".onnx"):
        (zoo_dir / f"nanodet-m-416{suffix}").write_bytes((BUNDLED_ZOO / f"nanodet-m-416{suffix}").read_bytes())
    data = yolo_pipeline().to_dict()
    for node in data["nodes"]:
        if node["id"] == "detector":
            node.update(type="detection/onnx@v1", config={"model": "nanodet-m-416", "classes": ["car", "truck"]})
    store = LocalStore(tmp_path / "registry")
    published = publish_version(parse_spec(data), store, name="gate-count", version="1.0.0", district="haidian",
                                description=DESCRIPTION)
    (model_ref,) = published.release.manifest.models
    assert model_ref.runtime is not None and model_ref.runtime.format == "nanodet"
    pulled = pull(store, *REF, tmp_path / "pulled")
    (model,) = install(pulled.folder, pulled.release.manifest).models
    installed = zoo.get_model(model)
    bundled = zoo.get_model("nanodet-m-416")
    assert (installed.format, installed.preprocess, installed.decoder) == \
        (bundled.format, bundled.preprocess, bundled.decoder)
    assert "runtime" not in model_ref.model_copy(update={"runtime": None}).model_dump(mode="json")
