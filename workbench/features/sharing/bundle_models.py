"""The detection models of a bundle: which zoo models a pipeline's detectors use, their weights, their bundle ids."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.registry import BlockRegistry
from workbench.engine.spec import PipelineSpec
from workbench.features.sharing.manifest import ModelFile, ModelRef, ModelRuntime
from workbench.models import zoo

Weights = Mapping[str, Sequence[str | Path]] | Sequence[str | Path] | None


def _error(code: str, node: str | None = None, field: str | None = None, /, **params: Any) -> WorkbenchError:
    return WorkbenchError([Problem(code, node=node, field=field, params=params)])


def bundle_model_id(district: str, name: str, version: str, origin: str | None = None) -> str:
    """The zoo id of a bundled model: `<district>.<name>-<version>[.<origin>]`, shortened with a hash past 64 chars."""
    full = f"{district}.{name}-{version}" + (f".{origin}" if origin else "")
    if len(full) <= 64:
        return full
    return f"{full[:47]}-{hashlib.sha256(full.encode()).hexdigest()[:16]}"


def detector_models(spec: PipelineSpec, registry: BlockRegistry) -> dict[str, list[str]]:
    """Model id -> the detector nodes that use it (blocks in category `detection` with a `model` setting)."""
    models: dict[str, list[str]] = {}
    for node in spec.nodes:
        block = registry.get(node.type)
        if block and block.category() == "detection" and "model" in block.Config.model_fields:
            models.setdefault(str(block.Config.model_validate(node.config).model), []).append(node.id)
    return models


def weights_by_model(weights: Weights, used: Mapping[str, list[str]]) -> dict[str, list[Path]]:
    if weights is None or (not isinstance(weights, Mapping) and not weights):
        given: dict[str, list[Path]] = {}
    elif isinstance(weights, Mapping):
        unused = sorted(set(weights) - set(used))
        if unused:
            raise _error("bundle_model_unused", None, "weights", model=", ".join(unused), used=", ".join(used) or "-")
        given = {m: [Path(p).expanduser() for p in files] for m, files in weights.items()}
    elif len(used) != 1:
        raise _error("bundle_weights_ambiguous", None, "weights", used=", ".join(sorted(used)) or "-")
    else:
        given = {next(iter(used)): [Path(p).expanduser() for p in weights]}
    for model, nodes in used.items():
        if not given.get(model):  # no file given: the zoo's local weights of that model
            path = zoo.resolve_weights(model, nodes[0], "model")
            if not path.is_file():
                raise _error("bundle_weights_missing", nodes[0], "model", model=model)
            given[model] = [path]
    return given


def copy_model(origin: str, files: list[Path], model_id: str, folder: Path) -> ModelRef:
    formats: dict[str, Path] = {}
    for path in files:
        suffix = path.suffix.lower()
        if suffix not in zoo.WEIGHT_SUFFIXES:
            raise _error("weights_format", None, "weights", path=str(path), allowed=", ".join(zoo.WEIGHT_SUFFIXES))
        if not path.is_file():
            raise _error("bundle_file_missing", None, "weights", path=str(path))
        if suffix in formats:
            raise _error("bundle_weights_twice", None, "weights", model=origin, format=suffix)
        formats[suffix] = path
    names = None
    for path in formats.values():  # a .pt is opened only through the safe loader: unsafe pickles are refused here
        names = zoo.read_class_names(path, None, "weights") or names
    try:
        known = zoo.get_model(origin)
    except WorkbenchError:
        known = None
    out = []
    for suffix, path in sorted(formats.items()):
        rel = f"weights/{model_id}{suffix}"
        shutil.copyfile(path, folder / rel)
        out.append(ModelFile(path=rel, format=suffix[1:], sha256=zoo.sha256_of(folder / rel)))
    runtime = None
    if known is not None and known.format in ("yolo", "nanodet") and ".onnx" in formats:
        runtime = ModelRuntime(format=known.format, preprocess=known.preprocess, decoder=known.decoder)
    return ModelRef(id=model_id, origin=origin, classes=tuple(names or (known.classes if known else ())),
                    license=(known.license if known and known.license else "AGPL-3.0"), files=tuple(out),
                    runtime=runtime)
