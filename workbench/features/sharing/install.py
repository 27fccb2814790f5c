"""Put a verified bundle to work on this machine: its weights into the model zoo, its pipeline into the library.

Only a folder that `pull()` verified comes here. The pipeline installed is the signed manifest's copy (what people
review with `registry show` and on the Share page); a bundle whose pipeline.yaml says otherwise is refused before
anything is installed. Weights: the ONNX file when the bundle has one (no pickle at all), else the .pt through the
zoo's safe loader. A block the pipeline needs but this machine lacks is named with its
version and the package that provides it. The imported pipeline's site settings (counting lines, zones, scales) still
describe the publisher's camera: they are listed in `site_pending` (and in the pipeline's `meta.site_pending`) for
the user to redraw on a frame of their own camera before the algorithm is used.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from workbench.core.block import SourceBlock
from workbench.core.errors import Problem, WorkbenchError
from workbench.core.locations import is_url
from workbench.core.paths import user_pipelines_dir
from workbench.core.registry import BlockRegistry, default_registry
from workbench.engine.spec import PipelineSpec, load_spec, parse_spec, save_spec
from workbench.features.sharing.manifest import BundleManifest, ModelRef
from workbench.models import zoo

BUNDLE_PIPELINE = "pipeline.yaml"


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
    """Import the verified bundle in `folder`: blocks and the pipeline checked first, then models, then the
    pipeline."""
    folder = Path(folder)
    problems = missing_blocks(manifest, registry or default_registry())
    if problems:
        raise WorkbenchError(problems)
    spec = _with_site_pending(reviewed_pipeline(folder, manifest), manifest)  # before anything is installed
    for model in manifest.models:
        runtime = model.runtime
        zoo.import_weights(folder / preferred_weights(model), model.id, list(model.classes) or None,
                           license=model.license, source=f"registry {manifest.district}/{manifest.name} "
                                                          f"{manifest.version}",
                           description=manifest.description.en, format=runtime.format if runtime else "ultralytics",
                           preprocess=runtime.preprocess if runtime else None,
                           decoder=runtime.decoder if runtime else None)
    target = user_pipelines_dir() / f"{pipeline_file_name(manifest)}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    save_spec(spec, target)
    return Installed(target, tuple(m.id for m in manifest.models), dict(manifest.site_fields))


def reviewed_pipeline(folder: str | Path, manifest: BundleManifest) -> PipelineSpec:
    """The pipeline to install: the signed manifest's copy, the one `registry show` and the Share page show and
    `missing_blocks` checks. The bundle's pipeline.yaml must say the same (both are signed, so a difference is the
    publisher's doing): a mismatch, or a missing or unreadable file, is refused with `registry_pipeline_mismatch`
    naming what differs, instead of installing something nobody reviewed."""
    ref = f"{manifest.district}/{manifest.name}@{manifest.version}"
    reviewed = parse_spec(manifest.pipeline, origin=f"{ref} manifest")
    try:
        bundled = load_spec(Path(folder) / BUNDLE_PIPELINE)
    except WorkbenchError as exc:
        raise WorkbenchError([Problem("registry_pipeline_mismatch", field=BUNDLE_PIPELINE, params={
            "ref": ref, "detail": exc.problems[0].message() if exc.problems else "unreadable"})]) from None
    differs = _differences(reviewed.to_dict(), bundled.to_dict())
    if differs:
        raise WorkbenchError([Problem("registry_pipeline_mismatch", field=BUNDLE_PIPELINE, params={
            "ref": ref, "detail": ", ".join(differs[:10]) + (" …" if len(differs) > 10 else "")})])
    return reviewed


def _differences(reviewed: dict, bundled: dict) -> list[str]:
    """Where two pipeline dicts differ: node ids (added, removed or changed) and other top-level parts."""
    found = []
    nodes = ({n.get("id"): n for n in reviewed.get("nodes", [])}, {n.get("id"): n for n in bundled.get("nodes", [])})
    for node_id in dict.fromkeys([*nodes[0], *nodes[1]]):
        if nodes[0].get(node_id) != nodes[1].get(node_id):
            found.append(f"nodes.{node_id}")
    found += [key for key in dict.fromkeys([*reviewed, *bundled])
              if key != "nodes" and reviewed.get(key) != bundled.get(key)]
    if not found and reviewed != bundled:  # e.g. the same nodes in another order
        found.append("nodes")
    return found


def _with_site_pending(spec: PipelineSpec, manifest: BundleManifest,
                       registry: BlockRegistry | None = None) -> PipelineSpec:
    """The pipeline with where it came from, which site settings still await redrawing and which settings reaching
    outside (addresses, headers, files) await this site's confirmation, in its meta. The outward ones are decided by
    this machine's blocks, not by what the publisher's manifest says."""
    data = spec.to_dict()
    data["meta"] = {**data.get("meta", {}),
                    "origin": f"{manifest.district}/{manifest.name}@{manifest.version}",
                    "site_pending": {node: list(fields) for node, fields in manifest.site_fields.items()},
                    "outward_pending": outward_settings_in(spec, registry or default_registry())}
    return parse_spec(data)


def outward_settings_in(spec: PipelineSpec, registry: BlockRegistry) -> dict[str, list[str]]:
    """{node: settings} that reach outside this machine and are set in the pipeline. A source's file path is not
    among them (it names a file on the publisher's machine; this one opens only videos, and the Run page only inside
    its footage folders); its stream URL is."""
    found = {}
    for node in spec.nodes:
        block = registry.get(node.type)
        fields = [f for f in (block.outward_settings() if block else ()) if node.config.get(f)
                  and not (issubclass(block, SourceBlock) and f == block.location_field
                           and not is_url(str(node.config[f])))]
        if fields:
            found[node.id] = fields
    return found


def clear_site_pending(spec: PipelineSpec, node: str, key: str = "site_pending", by: str = "") -> PipelineSpec:
    """The pipeline with `node`'s site settings marked as redrawn (`site_pending`), or its settings reaching outside
    marked as confirmed by this site (`outward_pending`)."""
    data = spec.to_dict()
    meta = data.get("meta", {})
    pending = meta.get(key) or {}
    data["meta"] = {**meta, key: {k: v for k, v in pending.items() if k != node}}
    if key == "outward_pending" and node in pending:  # who let this pipeline reach outside, and when
        record = {"node": node, "settings": list(pending[node]), "by": by or getpass.getuser(),
                  "at": datetime.now().astimezone().isoformat(timespec="seconds")}
        data["meta"]["outward_confirmed"] = [*(meta.get("outward_confirmed") or []), record]
    return parse_spec(data)


def outward_values(spec: PipelineSpec, node: str, fields: list[str]) -> str:
    """`url = "https://…"; headers_env = {…}` as plain text, passwords hidden: what a user checks and confirms."""
    from workbench.engine.credentials import redacted

    config = (spec.node(node).config if spec.node(node) else {}) or {}
    return "\n".join(f"{f} = {json.dumps(redacted(config.get(f), f), ensure_ascii=False)}" for f in fields)
