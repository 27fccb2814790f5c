"""The model zoo: named detection models described by small YAML manifests, with their weights kept on this machine.

Manifests come from the project's `model_zoo/` folder (`WORKBENCH_ZOO_DIR` overrides it) and from the user's
`<workbench home>/models/*.yaml`, written by `import_weights()` (CLI: `workbench zoo import FILE --id ID`); a user's
manifest replaces a bundled one with the same id. Weights are looked up locally only: in the manifest's folder, then
in the model cache `<home>/models/<id>/`. Only where `WORKBENCH_ALLOW_DOWNLOADS=1` may ultralytics fetch its official
release file. A `.pt` checkpoint is a pickle (a program): it is only ever opened through ultralytics' safe loader.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from workbench.core.errors import BlockError
from workbench.core.paths import workbench_home
from workbench.core.safe_yaml import YamlRefused, load_yaml_text
from workbench.models.manifest_parts import (
    FORMATS,
    ONNX_FORMATS,
    DecoderSpec,
    ModelFormat,
    PreprocessSpec,
    ProvenanceEntry,
)
from workbench.models.ultralytics_env import prepare_ultralytics

MODEL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
WEIGHT_SUFFIXES = (".pt", ".onnx")
IMPORT_HINT = "workbench zoo import FILE --id {model}"


class WeightsRef(BaseModel):
    """Where a model's weights file is and how to recognise it."""

    model_config = ConfigDict(extra="forbid")

    file: str = Field(..., description="Weights file, relative to the manifest's folder or absolute (.pt or .onnx)")
    url: str | None = Field(None, description="Where the file can be obtained (for people; never fetched by the zoo)")
    sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the file, checked on load")


class ModelManifest(BaseModel):
    """One model of the zoo: what it detects, where its weights are, under which licence."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(..., pattern=MODEL_ID_PATTERN, description="Name used in pipelines (detector setting `model`)")
    task: Literal["detect"] = Field("detect", description="What the model does (only object detection for now)")
    description: str = Field("", description="One line for people choosing a model")
    classes: list[str] = Field(default_factory=list, description="Class names, in the model's class-id order")
    weights: WeightsRef
    license: str = Field("", description="Licence of the weights (SPDX id where possible)")
    source: str = Field("", description="Who made the weights / how they were trained")
    ultralytics_name: str | None = Field(
        None, description="Official ultralytics release file (e.g. yolo11n.pt), fetched only if downloads are allowed"
    )
    format: ModelFormat = Field(
        "ultralytics", description="Who runs the file: ultralytics (.pt or .onnx, detection/yolo); yolo (an "
                                   "ultralytics YOLO detection ONNX export decoded without torch); nanodet (NanoDet "
                                   "GFL head outputs); the last two run in detection/onnx")
    preprocess: PreprocessSpec | None = Field(
        None, description="How frames become the model's input; empty = the format's default (YOLO: letterbox to the "
                          "model's input size, RGB, /255; NanoDet: stretch, BGR, NanoDet mean/std)")
    decoder: DecoderSpec | None = Field(
        None, description="NanoDet head geometry (strides, reg_max); empty = read from the file's outputs")
    provenance: list[ProvenanceEntry] = Field(
        default_factory=list, description="Where each part of the model came from, with its licence")
    _folder: Path = PrivateAttr(default_factory=Path.cwd)

    @model_validator(mode="after")
    def _format_fits(self) -> ModelManifest:
        if self.format in ONNX_FORMATS and not self.weights.file.lower().endswith(".onnx"):
            raise ValueError(f"format {self.format} needs an .onnx weights file")
        if self.decoder is not None and self.format != "nanodet":
            raise ValueError("decoder applies to format nanodet only")
        return self

    @property
    def folder(self) -> Path:
        """The folder the manifest was read from; relative weight paths start there."""
        return self._folder

    def weights_path(self) -> Path:
        """The weights file named by the manifest (it may not exist)."""
        path = Path(self.weights.file).expanduser()
        return path if path.is_absolute() else self._folder / path

    def cache_path(self) -> Path:
        """The weights file in the model cache: `<home>/models/<id>/<file name>`."""
        return models_dir() / self.id / Path(self.weights.file).name


# -- folders -----------------------------------------------------------------------------------------------------------
def bundled_zoo_dir() -> Path:
    """The project's `model_zoo/` folder, or `WORKBENCH_ZOO_DIR`."""
    env = os.environ.get("WORKBENCH_ZOO_DIR", "").strip()
    return Path(env).expanduser() if env else Path(__file__).resolve().parents[2] / "model_zoo"


def models_dir() -> Path:
    """The user's models: imported manifests `<id>.yaml` and the weights cache `<id>/`."""
    return workbench_home() / "models"


# -- manifests ---------------------------------------------------------------------------------------------------------
def read_manifest(path: Path) -> ModelManifest:
    """Parse one manifest file; a broken one is a `model_manifest_invalid` problem naming the file."""
    try:
        data = load_yaml_text(path.read_text(encoding="utf-8"), origin=str(path))
        manifest = ModelManifest.model_validate(data)
    except (OSError, YamlRefused, ValidationError) as exc:
        detail = (_first_error(exc) if isinstance(exc, ValidationError)
                  else exc.problems[0].message() if isinstance(exc, YamlRefused) else str(exc).splitlines()[0])
        raise BlockError("model_manifest_invalid", None, None, path=str(path), detail=detail) from exc
    manifest._folder = path.parent.resolve()
    return manifest


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "manifest"
    return f"{where}: {err['msg']}"


def _manifests() -> dict[str, ModelManifest]:
    found: dict[str, ModelManifest] = {}
    for folder in (bundled_zoo_dir(), models_dir()):  # later folders win: the user's import replaces a bundled one
        if folder.is_dir():
            for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
                manifest = read_manifest(path)
                found[manifest.id] = manifest
    return found


def list_models() -> list[ModelManifest]:
    """Every model the zoo knows (bundled and imported), sorted by id."""
    return [m for _, m in sorted(_manifests().items())]


def get_model(model_id: str, node: str | None = None, field: str | None = None) -> ModelManifest:
    """The manifest of `model_id`; an unknown id is an `unknown_model` problem listing the known ones."""
    manifests = _manifests()
    if model_id not in manifests:
        known = ", ".join(sorted(manifests)) or "(none)"
        raise BlockError("unknown_model", node, field, model=model_id, known=known, hint=IMPORT_HINT.format(model="ID"))
    return manifests[model_id]


# -- weights -----------------------------------------------------------------------------------------------------------
def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def downloads_allowed() -> bool:
    """True only where the operator set `WORKBENCH_ALLOW_DOWNLOADS=1` (a machine with internet)."""
    return os.environ.get("WORKBENCH_ALLOW_DOWNLOADS", "").strip() == "1"


def resolve_weights(model_id: str, node: str | None = None, field: str | None = None) -> Path:
    """The weights file of `model_id` on this machine, its SHA-256 checked when the manifest gives one.

    Looks in the manifest's folder, then in the model cache. If neither has it: with `WORKBENCH_ALLOW_DOWNLOADS=1`
    the cache path of the official ultralytics release file (ultralytics downloads it there when loading); otherwise a
    `weights_missing` problem that says how to import the file.
    """
    manifest = get_model(model_id, node, field)
    candidates = list(dict.fromkeys([manifest.weights_path(), manifest.cache_path()]))
    for path in candidates:
        if path.is_file():
            expected = manifest.weights.sha256
            if expected:
                actual = sha256_of(path)
                if actual.lower() != expected.lower():
                    raise BlockError("weights_changed", node, field, model=model_id, path=str(path),
                                     expected=expected.lower(), actual=actual,
                                     hint=IMPORT_HINT.format(model=model_id))
            return path
    if downloads_allowed() and manifest.ultralytics_name:
        target = models_dir() / model_id / manifest.ultralytics_name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target
    raise BlockError("weights_missing", node, field, model=model_id, looked=", ".join(str(p) for p in candidates),
                     hint=IMPORT_HINT.format(model=model_id),
                     release=manifest.ultralytics_name or manifest.weights.file)


def _check_format(path: Path, node: str | None, field: str | None) -> str:
    suffix = path.suffix.lower()
    if suffix not in WEIGHT_SUFFIXES:
        raise BlockError("weights_format", node, field, path=str(path), allowed=", ".join(WEIGHT_SUFFIXES))
    if suffix == ".onnx" and importlib.util.find_spec("onnxruntime") is None:
        raise BlockError("onnx_runtime_missing", node, field, path=str(path))
    return suffix


def safe_checkpoint(path: Path, node: str | None = None, field: str | None = None) -> dict[str, Any]:
    """Unpickle a .pt checkpoint with ultralytics' allow-list loader (`weights_only`); refuse anything else.

    A checkpoint that names a type outside the allow-list (e.g. an object whose unpickling would run a command) is
    a `weights_unsafe` problem and nothing of it runs; a damaged file is `weights_unreadable`.
    """
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive; anything else is damaged or not a checkpoint
        raise BlockError("weights_unreadable", node, field, path=str(path), detail="not a PyTorch checkpoint archive")
    prepare_ultralytics()
    import pickle

    from ultralytics.nn.tasks import torch_safe_load

    try:
        ckpt, _ = torch_safe_load(str(path), safe_only=True)
    except pickle.UnpicklingError as exc:
        raise BlockError("weights_unsafe", node, field, path=str(path), detail=_short(exc)) from exc
    except TypeError as exc:
        unsafe = "outside the supported" in str(exc)
        code = "weights_unsafe" if unsafe else "weights_unreadable"
        raise BlockError(code, node, field, path=str(path), detail=_short(exc)) from exc
    except (OSError, RuntimeError, EOFError, ValueError, AttributeError, ModuleNotFoundError) as exc:
        raise BlockError("weights_unreadable", node, field, path=str(path), detail=_short(exc)) from exc
    if not isinstance(ckpt, dict) or not hasattr(ckpt.get("ema") or ckpt.get("model"), "names"):
        raise BlockError("weights_unreadable", node, field, path=str(path), detail="not an ultralytics checkpoint")
    return ckpt


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).replace("ERROR ❌️", "").split())
    return text[:300] + ("..." if len(text) > 300 else "")


def _names_list(names: Any) -> list[str] | None:
    if isinstance(names, dict):
        return [str(names[k]) for k in sorted(names)]
    if isinstance(names, (list, tuple)):
        return [str(n) for n in names]
    return None


def read_class_names(path: Path, node: str | None = None, field: str | None = None) -> list[str] | None:
    """Class names stored in a weights file (safely), in class-id order; None when the file does not say."""
    suffix = _check_format(path, node, field)
    if suffix == ".pt":
        ckpt = safe_checkpoint(path, node, field)
        return _names_list(getattr(ckpt.get("ema") or ckpt.get("model"), "names", None))
    from workbench.models.onnx_detect import metadata_names, open_session

    return metadata_names(open_session(path, "cpu", 1, node, field).metadata)  # not ONNX: onnx_unreadable


def load_detector(path: Path, node: str | None = None, field: str | None = None) -> Any:
    """An ultralytics YOLO detector from a local .pt (through the safe loader) or .onnx file."""
    suffix = _check_format(path, node, field)
    if suffix == ".pt":
        safe_checkpoint(path, node, field)  # refuse unsafe pickles even if ultralytics was imported before us
    else:
        from workbench.models.onnx_detect import open_session

        if "task" not in open_session(path, "cpu", 1, node, field).metadata:  # e.g. NanoDet: for detection/onnx
            raise BlockError("weights_not_ultralytics", node, field, path=str(path))
    prepare_ultralytics()
    from ultralytics import YOLO

    try:
        model = YOLO(str(path), task="detect")
    except (TypeError, RuntimeError, OSError, ValueError, AttributeError, ModuleNotFoundError) as exc:
        raise BlockError("weights_unreadable", node, field, path=str(path), detail=_short(exc)) from exc
    if getattr(model, "task", "detect") != "detect":
        raise BlockError("model_task_unsupported", node, field, path=str(path), task=str(model.task))
    return model


@dataclass(frozen=True)
class SharedDetector:
    """One loaded detector and the lock its callers take (an ultralytics predictor is not safe from two threads)."""

    model: Any
    lock: threading.Lock


_SHARED: dict[tuple[str, int, int, str], SharedDetector] = {}
_SHARED_LOCK = threading.Lock()


def shared_model(path: Path, variant: str, load: Callable[[], Any]) -> SharedDetector:
    """`load()`'s result for this weights file and `variant` (device, runtime settings), made once per process and
    shared with its lock by every stream and camera; a changed file is a new entry."""
    stat = path.resolve().stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, variant)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = SharedDetector(load(), threading.Lock())
        return _SHARED[key]


def shared_detector(path: Path, node: str | None = None, field: str | None = None,
                    device: str = "cpu") -> SharedDetector:
    """The ultralytics detector for these weights on this device, loaded once per process: every stream (every camera
    of `workbench serve`) gets the same model and lock; only per-stream state stays per stream."""
    return shared_model(path, device, lambda: load_detector(path, node, field))


# -- import ------------------------------------------------------------------------------------------------------------
def import_weights(file: str | Path, model_id: str, classes: list[str] | None = None, license: str = "",
                   description: str = "", source: str = "", url: str | None = None,
                   ultralytics_name: str | None = None, format: str = "ultralytics",
                   preprocess: PreprocessSpec | None = None, decoder: DecoderSpec | None = None) -> ModelManifest:
    """Copy a weights file into the model cache and write its manifest `<home>/models/<id>.yaml`; return it.

    The SHA-256 is recorded, so a later change to the cached file is noticed. Class names are read from the file
    (through the safe loader, which also refuses a checkpoint that carries code); pass `classes` when the file has
    none or to rename them (same number). `format` yolo or nanodet: an ONNX file run without torch
    (detection/onnx), checked first by running it once: a file whose outputs do not fit is refused; `preprocess` and
    `decoder` replace what is inferred from the file (a registry bundle carries its publisher's). Nothing is
    written before every check passed; importing an id again replaces the earlier import.
    """
    if not re.match(MODEL_ID_PATTERN, model_id or ""):
        raise BlockError("model_id_invalid", None, "id", model=model_id)
    if format not in FORMATS:
        raise BlockError("model_format_unknown", None, "format", format=format, allowed=", ".join(FORMATS))
    src = Path(file).expanduser()
    if not src.is_file():
        raise BlockError("import_file_missing", None, "file", path=str(src))
    names, runtime = _checked_import(src, classes, format)
    runtime.update({k: v for k, v in (("preprocess", preprocess), ("decoder", decoder)) if v is not None and runtime})
    manifest = ModelManifest(
        id=model_id, description=description or f"Imported from {src.name}", classes=names,
        weights=WeightsRef(file=f"{model_id}/{model_id}{src.suffix.lower()}", url=url, sha256=sha256_of(src)),
        license=license, source=source or f"imported from {src.resolve()}", ultralytics_name=ultralytics_name,
        **runtime,
    )
    _write_import(src, manifest)
    return manifest


def _checked_import(src: Path, classes: list[str] | None, fmt: str) -> tuple[list[str], dict[str, Any]]:
    """The class names to record and the manifest's runtime fields; refuses a file that does not fit `fmt`."""
    if fmt in ONNX_FORMATS:
        if src.suffix.lower() != ".onnx":
            raise BlockError("import_needs_onnx", None, "file", path=str(src), format=fmt)
        from workbench.models.onnx_detect import inspect_onnx

        found = inspect_onnx(src, fmt, classes)
        return found.classes, {"format": fmt, "preprocess": found.preprocess, "decoder": found.decoder}
    names = read_class_names(src, None, "file")
    if classes and names and len(classes) != len(names):
        raise BlockError("model_classes_mismatch", None, "classes", given=len(classes), found=len(names),
                         names=", ".join(names))
    names = list(classes) if classes else names
    if not names:
        raise BlockError("model_classes_missing", None, "classes", path=str(src))
    return names, {}


def _write_import(src: Path, manifest: ModelManifest) -> None:
    """Weights and manifest written beside their places, then moved in: a failure leaves the zoo as it was."""
    cache = models_dir() / manifest.id
    target = models_dir() / manifest.weights.file
    path = models_dir() / f"{manifest.id}.yaml"
    cache.mkdir(parents=True, exist_ok=True)
    parts = [target.with_name(target.name + ".part"), path.with_name(path.name + ".part")]
    try:
        shutil.copyfile(src, parts[0])
        if sha256_of(parts[0]) != manifest.weights.sha256:  # the source changed while it was copied
            raise BlockError("import_file_changed", None, "file", path=str(src))
        text = yaml.safe_dump(manifest.model_dump(mode="json", exclude_none=True),
                              sort_keys=False, allow_unicode=True)
        parts[1].write_text("# Written by `workbench zoo import`; weights in the folder beside it.\n" + text,
                            encoding="utf-8")
        os.replace(parts[0], target)
        os.replace(parts[1], path)
    finally:
        for part in parts:
            part.unlink(missing_ok=True)
    for stale in cache.iterdir():  # an earlier import in the other format
        if stale != target and stale.suffix.lower() in WEIGHT_SUFFIXES:
            stale.unlink()
    manifest._folder = path.parent.resolve()
