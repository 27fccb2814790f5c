"""The algorithm bundle's manifest, its canonical bytes (what is signed) and the release record stored as release.json.

Everything here is data from another district: every field is checked (frozen models, unknown keys refused, file
paths relative and inside the bundle, names and versions in the registry's format) before anything trusts it.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from packaging.version import InvalidVersion, Version
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from workbench.core.errors import Problem, WorkbenchError
from workbench.models.manifest_parts import DecoderSpec, PreprocessSpec

BUNDLE_FORMAT = "workbench.bundle/v1"
RELEASE_FORMAT = "workbench.release/v1"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
VERSION_PATTERN = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"
PINNED_TYPE_PATTERN = r"^[^@\s]+@v[0-9]+$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
CREATED_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
FileRole = Literal["weights", "model_card", "evaluation", "preview", "pipeline", "other"]


def _record(extra: str = "forbid") -> ConfigDict:
    return ConfigDict(frozen=True, extra=extra)  # type: ignore[typeddict-item]


# -- names and versions ------------------------------------------------------------------------------------------------
def check_name(value: str, field: str = "name") -> str:
    """`value` if it is a valid district or algorithm name, else a `registry_bad_name` problem on `field`."""
    if not isinstance(value, str) or not re.match(NAME_PATTERN, value):
        raise WorkbenchError([Problem("registry_bad_name", field=field, params={"value": str(value), "field": field})])
    return value


def parse_version(value: str, field: str = "version") -> Version:
    """A `MAJOR.MINOR.PATCH` version for ordering; anything else is a `registry_bad_version` problem."""
    if isinstance(value, str) and re.match(VERSION_PATTERN, value):
        try:
            return Version(value)
        except InvalidVersion:
            pass
    raise WorkbenchError([Problem("registry_bad_version", field=field, params={"value": str(value)})])


def safe_relative_path(path: str) -> str:
    """A POSIX path inside the bundle folder: relative, no `..`, no empty or hidden parts (never trust a peer)."""
    parts = PurePosixPath(path).parts
    if not path or "\\" in path or path.startswith("/") or not parts or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"'{path}' is not a relative path inside the bundle")
    if any(p.startswith(".") for p in parts) or str(PurePosixPath(*parts)) != path:
        raise ValueError(f"'{path}' is not a plain relative path inside the bundle")
    return path


BundlePath = Annotated[str, AfterValidator(safe_relative_path)]  # a config field holding such a path


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("metrics must be finite numbers; use null for an undefined metric")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


# -- records -----------------------------------------------------------------------------------------------------------
class Description(BaseModel):
    """What the algorithm does, in both languages of the workbench."""

    model_config = _record()
    en: str = Field(min_length=1, max_length=4000, description="English description, for people browsing the catalog")
    zh: str = Field(min_length=1, max_length=4000, description="Simplified Chinese description")


class Title(BaseModel):
    """The name people read, in both languages (any script: 渣土车出场); the ASCII `name` stays the id."""

    model_config = _record()
    en: str = Field("", max_length=100, description="English display name (empty: the Chinese one, else the id)")
    zh: str = Field("", max_length=100, description="Chinese display name (empty: the English one, else the id)")

    def shown(self, lang: str, fallback: str) -> str:
        first, second = (self.zh, self.en) if lang == "zh" else (self.en, self.zh)
        return (first or second).strip() or fallback


class FileEntry(BaseModel):
    """One file of the bundle, as it must be found after download."""

    model_config = _record()
    path: BundlePath = Field(description="Path relative to the bundle folder, '/'-separated, e.g. weights/trucks.onnx")
    sha256: str = Field(pattern=SHA256_PATTERN, description="Lower-case hex SHA-256 of the file's bytes")
    size: int = Field(ge=0, description="Size in bytes")
    role: FileRole = Field(description="What the file is: weights, model_card, evaluation, preview, pipeline, other")


class ModelFile(BaseModel):
    """One weights file of a model."""

    model_config = _record()
    path: BundlePath = Field(description="Path of the weights file in the bundle (also listed in `files`)")
    format: Literal["pt", "onnx"] = Field(description="pt (PyTorch checkpoint, a pickle) or onnx (preferred on load)")
    sha256: str = Field(pattern=SHA256_PATTERN, description="Lower-case hex SHA-256 of the weights file")


class ModelRuntime(BaseModel):
    """What the zoo manifest of an ONNX model run by workbench.models.onnx_detect says about running it."""

    model_config = _record()
    format: Literal["yolo", "nanodet"] = Field(description="Who decodes the outputs: yolo (ultralytics export layout) "
                                                           "or nanodet (GFL head)")
    preprocess: PreprocessSpec | None = Field(None, description="Input size, resize mode, channel order, "
                                                                "normalisation; empty = the format's default")
    decoder: DecoderSpec | None = Field(None, description="NanoDet head geometry (strides, reg_max)")


class ModelRef(BaseModel):
    """A detection model the pipeline uses: the zoo id it gets on import and its weights in the bundle."""

    model_config = _record()
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
                    description="Model id in the bundled pipeline (the detector's `model` setting); zoo id on import")
    origin: str = Field("", max_length=200, description="The model id the publisher's pipeline named before bundling")
    classes: tuple[str, ...] = Field((), description="Class names in class-id order")
    license: str = Field("", max_length=200, description="Licence of the weights (SPDX id), e.g. AGPL-3.0")
    files: tuple[ModelFile, ...] = Field(min_length=1, description="Weights files: .pt and/or .onnx")
    runtime: ModelRuntime | None = Field(
        None, exclude_if=lambda v: v is None,  # absent = ultralytics; left out of the signed bytes when absent
        description="How to run the ONNX file without torch (detection/onnx): format, preprocessing, decoder")


class BlockSource(BaseModel):
    """The installed distribution (plugin package) that provides a block type."""

    model_config = _record()
    distribution: str = Field(min_length=1, description="Python distribution name, e.g. video-workbench")
    version: str = Field(min_length=1, description="Version of that distribution when the bundle was built")


class Evaluation(BaseModel):
    """Evaluation results shipped with the algorithm (JSON values; finite numbers or null)."""

    model_config = _record()
    detection: dict[str, Any] = Field(default_factory=dict, description="Detection metrics, e.g. map50, per class")
    events: dict[str, Any] = Field(default_factory=dict, description="Event metrics, e.g. events.<node>.<type>.f1")

    @field_validator("detection", "events")
    @classmethod
    def _json_numbers(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _finite(v)


class BundleManifest(BaseModel):
    """Everything a district needs to judge, verify and import a published algorithm; the signed part of a release."""

    model_config = _record()
    format: Literal["workbench.bundle/v1"] = Field(BUNDLE_FORMAT, description="Manifest format version")
    name: str = Field(pattern=NAME_PATTERN, description="Algorithm name, unique within the district")
    version: str = Field(pattern=VERSION_PATTERN, description="Semantic version MAJOR.MINOR.PATCH; immutable once out")
    district: str = Field(pattern=NAME_PATTERN, description="Publishing district (its keys sign, its prefix holds)")
    description: Description = Field(description="What the algorithm does, in English and Chinese")
    title: Title = Field(default_factory=Title, description="Display name in English and Chinese (any script)")
    tags: tuple[str, ...] = Field((), max_length=50, description="Search tags, e.g. vehicles, counting")
    task: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$", description="What the algorithm does, e.g. detect, count")
    classes: tuple[str, ...] = Field((), description="Object classes the algorithm reports")
    pipeline: dict[str, Any] = Field(description="The pipeline spec (docs/pipeline-format.md), every type id@vN")
    blocks: dict[str, BlockSource] = Field(description="Block type id@vN -> the distribution that provided it")
    models: tuple[ModelRef, ...] = Field((), description="Detection models the pipeline uses, with their weights")
    files: tuple[FileEntry, ...] = Field(min_length=1, description="Every file of the bundle with sha256 and size")
    evaluation: Evaluation = Field(default_factory=Evaluation, description="Detection and event metrics")
    site_fields: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="Node id -> settings of the site (lines, zones) to redraw on import")
    license: str = Field(min_length=1, description="Licence notes (ultralytics and its weights are AGPL-3.0)")
    created: str = Field(pattern=CREATED_PATTERN, description="Build time, UTC, e.g. 2026-11-02T08:00:00Z")
    workbench_version: str = Field(min_length=1, description="Version of the workbench that built the bundle")
    upload_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Upload folder in the store holding the files")

    @field_validator("version")
    @classmethod
    def _semver(cls, v: str) -> str:
        Version(v)
        return v

    @field_validator("created")
    @classmethod
    def _when(cls, v: str) -> str:
        datetime.fromisoformat(v.replace("Z", "+00:00"))
        return v

    @field_validator("pipeline")
    @classmethod
    def _pinned(cls, v: dict[str, Any]) -> dict[str, Any]:
        from workbench.engine.spec import parse_spec

        try:
            spec = parse_spec(v)
        except WorkbenchError as exc:
            raise ValueError(f"not a valid pipeline: {exc}") from None
        unpinned = [n.type for n in spec.nodes if not re.match(PINNED_TYPE_PATTERN, n.type)]
        if unpinned:
            raise ValueError(f"block types without @vN: {', '.join(unpinned)}")
        return v

    @field_validator("files")
    @classmethod
    def _unique(cls, v: tuple[FileEntry, ...]) -> tuple[FileEntry, ...]:
        paths = [f.path for f in v]
        if len(set(paths)) != len(paths):
            raise ValueError("a file is listed twice")
        return v

    def file(self, path: str) -> FileEntry | None:
        """The entry of `path`, if the bundle has it."""
        return next((f for f in self.files if f.path == path), None)


def canonical_bytes(manifest: BundleManifest) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8 (the same for every key order)."""
    data = manifest.model_dump(mode="json")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Signature(BaseModel):
    """An ed25519 signature over the manifest's canonical bytes."""

    model_config = _record()
    algorithm: Literal["ed25519"] = Field("ed25519", description="Signature algorithm")
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$", description="First 16 hex of sha256 of the raw public key")
    district: str = Field(pattern=NAME_PATTERN, description="District the signer says it signs for")
    value: str = Field(pattern=r"^[A-Za-z0-9+/=]{1,200}$", description="Base64 of the 64-byte signature")


class Release(BaseModel):
    """The release record `release.json`: the manifest and its signature (null when unsigned)."""

    model_config = _record()
    format: Literal["workbench.release/v1"] = Field(RELEASE_FORMAT, description="Release record format version")
    manifest: BundleManifest = Field(description="The bundle manifest")
    signature: Signature | None = Field(None, description="Publisher's signature over canonical_bytes(manifest)")

    def to_bytes(self) -> bytes:
        """release.json as stored: indented UTF-8 JSON (the signature covers the manifest, not this layout)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, indent=2, ensure_ascii=False)
        return (text + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes, origin: str = "release.json") -> Release:
        """Parse release.json; bad JSON or a wrong shape is a `registry_bad_release` problem naming `origin`."""
        try:
            return cls.model_validate(json.loads(data.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            detail = str(exc)
        except ValidationError as exc:
            err = exc.errors()[0]
            detail = f"{'.'.join(str(p) for p in err['loc']) or 'release'}: {err['msg']}"
        raise WorkbenchError([Problem("registry_bad_release", field=origin,
                                      params={"origin": origin, "detail": detail[:300]})])
