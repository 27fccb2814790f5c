"""Put a verified bundle to work on this machine: its weights into the model zoo, its pipeline into the library.

Only a folder that `pull()` verified comes here. Weights: the ONNX file when the bundle has one (no pickle at all),
else the .pt through the zoo's safe loader. A block the pipeline needs but this machine lacks is named with its
version and the package that provides it. The imported pipeline's site settings (counting lines, zones, scales) still
describe the publisher's camera: they are listed in `site_pending` (and in the pipeline's `meta.site_pending`) for
the user to redraw on a frame of their own camera before the algorithm is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench import zoo
from workbench.errors import Problem, WorkbenchError
from workbench.paths import user_pipelines_dir
from workbench.registry import BlockRegistry, default_registry
from workbench.sharing.manifest import BundleManifest, ModelRef
from workbench.spec import PipelineSpec, load_spec, parse_spec, save_spec


@dataclass(frozen=True)
class Installed:
    """What the import put where."""

    pipeline: Path
    models: tuple[str, ...]
    site_pending: dict[str, tuple[str, ...]]


def missing_blocks(manifest: BundleManifest, registry: BlockRegistry) -> list[Problem]:
    """One problem per block type the pipeline uses that is not installed here, naming who provides it."""
    problems = []
    for node in manifest.pipeline.get("nodes", []):
        type_id = node.get("type", "")
        if registry.get(type_id) is None:
            source = manifest.blocks.get(type_id)
            problems.append(Problem("registry_block_missing", node=node.get("id"), field="type", params={
                "block": type_id, "distribution": source.distribution if source else "?",
                "version": source.version if source else "?"}))
    return problems


def preferred_weights(model: ModelRef) -> str:
    """The bundle path of the weights to load: ONNX first (data, not code), else the .pt checkpoint."""
    by_format = {f.format: f.path for f in model.files}
    return by_format.get("onnx") or by_format["pt"]


def pipeline_file_name(manifest: BundleManifest) -> str:
    return f"{manifest.district}-{manifest.name}-{manifest.version}".replace(".", "_")


def install(folder: str | Path, manifest: BundleManifest, registry: BlockRegistry | None = None) -> Installed:
    """Import the verified bundle in `folder`: blocks checked first, then models, then the pipeline."""
    folder = Path(folder)
    problems = missing_blocks(manifest, registry or default_registry())
    if problems:
        raise WorkbenchError(problems)
    for model in manifest.models:
        zoo.import_weights(folder / preferred_weights(model), model.id, list(model.classes) or None,
                           license=model.license, source=f"registry {manifest.district}/{manifest.name} "
                                                          f"{manifest.version}",
                           description=manifest.description.en)
    spec = load_spec(folder / "pipeline.yaml")
    spec = _with_site_pending(spec, manifest)
    target = user_pipelines_dir() / f"{pipeline_file_name(manifest)}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    save_spec(spec, target)
    return Installed(target, tuple(m.id for m in manifest.models), dict(manifest.site_fields))


def _with_site_pending(spec: PipelineSpec, manifest: BundleManifest) -> PipelineSpec:
    """The pipeline with where it came from and which site settings still await redrawing, in its meta."""
    data = spec.to_dict()
    data["meta"] = {**data.get("meta", {}),
                    "origin": f"{manifest.district}/{manifest.name}@{manifest.version}",
                    "site_pending": {node: list(fields) for node, fields in manifest.site_fields.items()}}
    return parse_spec(data)


def clear_site_pending(spec: PipelineSpec, node: str) -> PipelineSpec:
    """The pipeline with `node`'s site settings marked as redrawn for this camera."""
    data = spec.to_dict()
    pending = {k: v for k, v in (data.get("meta", {}).get("site_pending") or {}).items() if k != node}
    data["meta"] = {**data.get("meta", {}), "site_pending": pending}
    return parse_spec(data)
