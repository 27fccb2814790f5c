"""Build an algorithm bundle folder from a pipeline and its weights, and check a bundle folder against its manifest.

Layout of a bundle folder (every file listed in the manifest with sha256, size and role):

    pipeline.yaml          the pipeline; each detector's `model` setting renamed to the bundle's model id
    weights/<id>.pt|.onnx  the weights of every detection model the pipeline uses
    model_card.md          English and Chinese: description, models, metrics, site settings, licence
    evaluation.json        detection and event metrics
    preview.<ext>          optional preview image or short clip

Model ids: a detector node (a `detection/*` block with a `model` setting, e.g. detection/yolo@v1) names a model-zoo id.
In the bundle that id is replaced by `bundle_model_id(district, name, version)` (plus the original id when the
pipeline uses several models), so an importer puts the weights into its zoo under that id (`zoo.import_weights`) and
the bundled pipeline runs unchanged, without clashing with the importer's own models.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, entry_points
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from workbench.core.errors import PipelineInvalid, Problem, WorkbenchError
from workbench.core.registry import ENTRY_POINT_GROUP, BlockRegistry, default_registry
from workbench.engine.credentials import credential_problems
from workbench.engine.spec import PipelineSpec, load_spec
from workbench.engine.validate import errors_only, validate
from workbench.features.sharing.bundle_models import (
    Weights,
    bundle_model_id,
    copy_model,
    detector_models,
    weights_by_model,
)
from workbench.features.sharing.manifest import (
    PINNED_TYPE_PATTERN,
    BlockSource,
    BundleManifest,
    Description,
    Evaluation,
    FileEntry,
    check_name,
    parse_version,
)
from workbench.features.sharing.model_card import license_text, model_card
from workbench.models import zoo

PREVIEW_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".mp4", ".webm")


def _error(code: str, node: str | None = None, field: str | None = None, /, **params: Any) -> WorkbenchError:
    return WorkbenchError([Problem(code, node=node, field=field, params=params)])


def file_entry(folder: Path, rel: str, role: str) -> FileEntry:
    path = folder / rel
    return FileEntry(path=rel, sha256=zoo.sha256_of(path), size=path.stat().st_size, role=role)


def _spec(pipeline: PipelineSpec | str | Path) -> PipelineSpec:
    return pipeline if isinstance(pipeline, PipelineSpec) else load_spec(pipeline)


def _check_pipeline(spec: PipelineSpec, registry: BlockRegistry) -> None:
    unpinned = [Problem("bundle_block_unpinned", node=n.id, field="type", params={"type": n.type})
                for n in spec.nodes if not re.match(PINNED_TYPE_PATTERN, n.type)]
    problems = unpinned or credential_problems(spec) or errors_only(validate(spec, registry))
    if problems:  # credentials first: a published version is immutable and read by every district
        raise PipelineInvalid(problems)


def block_sources(type_ids: Sequence[str], registry: BlockRegistry) -> dict[str, BlockSource]:
    """Type id -> the distribution (and its version) whose `workbench.blocks` entry point provides the block."""
    found: dict[str, BlockSource] = {}
    eps = list(entry_points(group=ENTRY_POINT_GROUP))
    for tid in sorted(set(type_ids)):
        cls = registry.get(tid)
        for ep in eps:
            if ep.module == getattr(cls, "__module__", None) and ep.attr == getattr(cls, "__qualname__", None):
                dist = ep.dist
                found[tid] = BlockSource(distribution=dist.name if dist else ep.module,
                                         version=dist.version if dist else "unknown")
                break
        else:
            raise _error("bundle_block_unregistered", None, "type", type=tid, group=ENTRY_POINT_GROUP)
    return found


def _json_clean(value: Any) -> Any:
    """Metrics as JSON values: NaN and infinities (undefined metrics) become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _json_clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_clean(v) for v in value]
    return value


def _validated(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        raise _error("bundle_bad_field", None, field, field=field or "-", detail=err["msg"]) from None


def workbench_version() -> str:
    try:
        return dist_version("video-workbench")
    except PackageNotFoundError:
        return "0+unknown"


def build_bundle(pipeline: PipelineSpec | str | Path, out_dir: str | Path, *, name: str, version: str,
                 district: str, description: Description | Mapping[str, str], weights: Weights = None,
                 evaluation: Mapping[str, Any] | None = None, tags: Sequence[str] = (), task: str = "detect",
                 classes: Sequence[str] | None = None, preview: str | Path | None = None,
                 upload_id: str | None = None, title: Mapping[str, str] | None = None) -> tuple[Path, BundleManifest]:
    """Write the bundle folder `out_dir` (new or empty) and return it with its unsigned manifest.

    `weights`: files (.pt and/or .onnx) of the pipeline's one detection model, or {zoo model id: files} when it uses
    several; a model without files given is taken from the local zoo. `evaluation`: {"detection": {...}, "events":
    {...}}. Unpinned or unknown blocks, an invalid pipeline, unsafe .pt files and missing files are refused; a
    refused build leaves no folder behind.
    """
    check_name(name, "name"), check_name(district, "district"), parse_version(version)
    registry = default_registry()
    spec = _spec(pipeline)
    _check_pipeline(spec, registry)
    folder = Path(out_dir).expanduser()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise _error("bundle_folder_not_empty", None, "out", path=str(folder))
    preview_path = Path(preview).expanduser() if preview else None
    if preview_path and (preview_path.suffix.lower() not in PREVIEW_SUFFIXES or not preview_path.is_file()):
        raise _error("bundle_preview_invalid", None, "preview", path=str(preview_path),
                     allowed=", ".join(PREVIEW_SUFFIXES))
    used = detector_models(spec, registry)
    given = weights_by_model(weights, used)
    fields = dict(name=name, version=version, district=district, description=description, tags=tuple(tags),
                  title=dict(title or {}),
                  task=task, evaluation=_validated(Evaluation, _json_clean(dict(evaluation or {}))),
                  license=license_text(), created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  workbench_version=workbench_version(), upload_id=upload_id or uuid.uuid4().hex)
    (folder / "weights").mkdir(parents=True, exist_ok=True)
    try:
        return folder, _write(folder, spec, registry, used, given, fields, classes, preview_path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _write(folder: Path, spec: PipelineSpec, registry: BlockRegistry, used: dict[str, list[str]],
           given: dict[str, list[Path]], fields: dict[str, Any], classes: Sequence[str] | None,
           preview: Path | None) -> BundleManifest:
    models = []
    for origin, nodes in used.items():
        model_id = bundle_model_id(fields["district"], fields["name"], fields["version"],
                                   origin if len(used) > 1 else None)
        models.append(copy_model(origin, given[origin], model_id, folder))
        for node in nodes:
            spec = spec.with_config(node, model=model_id)
    (folder / "pipeline.yaml").write_text(spec.to_yaml(), encoding="utf-8")
    text = json.dumps(fields["evaluation"].model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False)
    (folder / "evaluation.json").write_text(text + "\n", encoding="utf-8")
    files = [file_entry(folder, f.path, "weights") for m in models for f in m.files]
    files += [file_entry(folder, "pipeline.yaml", "pipeline"), file_entry(folder, "evaluation.json", "evaluation")]
    if preview:
        rel = f"preview{preview.suffix.lower()}"
        shutil.copyfile(preview, folder / rel)
        files.append(file_entry(folder, rel, "preview"))
    detector_nodes = {n for nodes in used.values() for n in nodes}
    reported = [c for n in spec.nodes if n.id in detector_nodes for c in n.config.get("classes", ())]
    fields.update(
        classes=tuple(classes if classes is not None else dict.fromkeys(reported or [c for m in models
                                                                                     for c in m.classes])),
        pipeline=spec.to_dict(), blocks=block_sources([n.type for n in spec.nodes], registry), models=tuple(models),
        site_fields={n.id: tuple(registry.get(n.type).site_fields) for n in spec.nodes
                     if registry.get(n.type).site_fields})
    card = model_card(_validated(BundleManifest, {**fields, "files": tuple(files)}))
    (folder / "model_card.md").write_text(card, encoding="utf-8")
    files.append(file_entry(folder, "model_card.md", "model_card"))
    return _validated(BundleManifest, {**fields, "files": tuple(files)})


def verify_files(folder: str | Path, manifest: BundleManifest) -> list[Problem]:
    """Every file of `manifest` present in `folder` with its size and sha256; one problem per file that is not."""
    root = Path(folder).resolve()
    problems = []
    for entry in manifest.files:
        path = root / entry.path
        if not path.is_file() or not path.resolve().is_relative_to(root):
            problems.append(Problem("registry_file_missing", field=entry.path, params={"path": entry.path}))
            continue
        size = path.stat().st_size
        if size != entry.size:
            detail = f"{size} B ≠ {entry.size} B"
        else:
            actual = zoo.sha256_of(path)
            if actual == entry.sha256:
                continue
            detail = f"SHA-256 {actual[:16]}… ≠ {entry.sha256[:16]}…"
        problems.append(Problem("registry_file_tampered", field=entry.path, params={"path": entry.path,
                                                                                     "detail": detail}))
    return problems
