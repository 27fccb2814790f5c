"""Building an algorithm bundle from a bundled pipeline with a real (untrained) YOLO model, and checking its files."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from sharing_support import DESCRIPTION, PIPELINES, yolo_pipeline

from workbench.core.errors import WorkbenchError
from workbench.core.registry import default_registry
from workbench.engine.spec import load_spec, parse_spec
from workbench.engine.validate import errors_only, validate
from workbench.features.sharing.bundle import build_bundle, bundle_model_id, verify_files

ROOT = Path(__file__).resolve().parents[4]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(tmp_path: Path, weights, **extra):
    kwargs = dict(name="gate-count", version="1.0.0", district="haidian", description=DESCRIPTION,
                  weights=weights, tags=("vehicles", "counting"))
    return build_bundle(yolo_pipeline(), tmp_path / "bundle", **{**kwargs, **extra})


def test_bundle_of_a_bundled_pipeline_lists_every_file_with_its_sha256(zoo_home, tiny_weights, tmp_path):
    preview = tmp_path / "frame.jpg"
    cv2.imwrite(str(preview), np.full((48, 64, 3), 127, dtype=np.uint8))
    evaluation = {"detection": {"map50": 0.61, "per_class": {"car": {"recall": float("nan")}}},
                  "events": {"events.count_line.line_cross.f1": 0.9}}
    folder, manifest = build(tmp_path, tiny_weights, evaluation=evaluation, preview=preview)

    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    model_id = bundle_model_id("haidian", "gate-count", "1.0.0")
    assert on_disk == {f.path for f in manifest.files} == {
        f"weights/{model_id}.pt", f"weights/{model_id}.onnx", "pipeline.yaml", "model_card.md", "evaluation.json",
        "preview.jpg"}
    for entry in manifest.files:
        assert entry.sha256 == sha256(folder / entry.path) and entry.size == (folder / entry.path).stat().st_size
    assert {f.path: f.role for f in manifest.files}["model_card.md"] == "model_card"
    assert sha256(folder / f"weights/{model_id}.pt") == sha256(tiny_weights[0])  # copied byte for byte
    assert verify_files(folder, manifest) == []

    (model,) = manifest.models
    assert (model.id, model.origin, model.license) == (model_id, "yolo11n", "AGPL-3.0")
    assert {f.format for f in model.files} == {"pt", "onnx"} and len(model.classes) == 80
    bundled = load_spec(folder / "pipeline.yaml")
    assert bundled.node("detector").config["model"] == model_id  # the detector points at the bundle's model
    assert bundled.to_dict() == manifest.pipeline
    assert not errors_only(validate(bundled, default_registry()))
    assert set(manifest.blocks) == {n.type for n in bundled.nodes}
    assert all(b.distribution == "video-workbench" for b in manifest.blocks.values())
    assert manifest.site_fields == {"count_line": ("start", "end")}
    assert manifest.evaluation.detection["per_class"]["car"]["recall"] is None  # NaN: undefined, stored as null
    assert "AGPL-3.0" in manifest.license

    card = (folder / "model_card.md").read_text(encoding="utf-8")
    assert DESCRIPTION["en"] in card and DESCRIPTION["zh"] in card
    assert card.count("AGPL-3.0") >= 2 and model_id in card and "count_line: start, end" in card


def test_tampering_a_copied_file_is_detected_naming_it(zoo_home, tiny_weights, tmp_path):
    folder, manifest = build(tmp_path, [tiny_weights[1]])
    copy = tmp_path / "downloaded"
    shutil.copytree(folder, copy)
    onnx = next(f.path for f in manifest.files if f.path.endswith(".onnx"))
    data = bytearray((copy / onnx).read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, same size
    (copy / onnx).write_bytes(bytes(data))
    problems = verify_files(copy, manifest)
    assert [(p.code, p.field) for p in problems] == [("registry_file_tampered", onnx)]

    with open(copy / "pipeline.yaml", "a", encoding="utf-8") as f:
        f.write("# appended\n")
    (copy / "evaluation.json").unlink()
    found = {(p.code, p.field) for p in verify_files(copy, manifest)}
    assert found == {("registry_file_tampered", onnx), ("registry_file_tampered", "pipeline.yaml"),
                     ("registry_file_missing", "evaluation.json")}
    assert verify_files(folder, manifest) == []  # the original is untouched


def test_a_pipeline_without_models_bundles_without_weights(tmp_path):
    folder, manifest = build_bundle(PIPELINES / "restricted_zone_people.yaml", tmp_path / "b", name="zone",
                                    version="0.1.0", district="chaoyang", description=DESCRIPTION, task="alert")
    assert manifest.models == () and not any(folder.glob("weights/*"))
    assert manifest.site_fields == {"restricted": ("polygon",)}
    assert verify_files(folder, manifest) == []


@pytest.mark.parametrize(("node_type", "code"), [("rules/line_crossing", "bundle_block_unpinned"),
                                             ("rules/line_crossing@v9", "unknown_block")])
def test_unpinned_or_unknown_blocks_are_refused(zoo_home, tmp_path, node_type, code):
    data = yolo_pipeline().to_dict()
    next(n for n in data["nodes"] if n["id"] == "count_line")["type"] = node_type
    with pytest.raises(WorkbenchError) as err:
        build_bundle(parse_spec(data), tmp_path / "b", name="x", version="1.0.0", district="d",
                     description=DESCRIPTION)
    assert (err.value.problems[0].code, err.value.problems[0].node, err.value.problems[0].field) == \
        (code, "count_line", "type")
    assert not (tmp_path / "b").exists()


def test_weights_must_belong_to_the_pipelines_model(zoo_home, tiny_weights, tmp_path):
    with pytest.raises(WorkbenchError) as err:
        build(tmp_path, {"yolo26n": [tiny_weights[0]]})
    assert err.value.problems[0].code == "bundle_model_unused"
    with pytest.raises(WorkbenchError) as err:
        build(tmp_path, None)  # the zoo knows yolo11n but has no weights on this machine
    assert err.value.problems[0].code == "weights_missing"
    with pytest.raises(WorkbenchError) as err:
        build(tmp_path, [tiny_weights[0], tiny_weights[0]])
    assert err.value.problems[0].code == "bundle_weights_twice"
    assert not (tmp_path / "bundle").exists()


class _Payload:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_checkpoint_carrying_code_is_refused_and_never_runs(zoo_home, tmp_path):
    import torch

    marker, bad = tmp_path / "pwned", tmp_path / "evil.pt"
    torch.save({"model": _Payload(marker)}, bad)
    with pytest.raises(WorkbenchError) as err:
        build(tmp_path, [bad])
    assert err.value.problems[0].code == "weights_unsafe"
    assert not marker.exists() and not (tmp_path / "bundle").exists()


def test_bundle_model_ids_are_valid_zoo_ids_even_for_long_names():
    import re

    from workbench.models.zoo import MODEL_ID_PATTERN

    long = ("d" * 64, "n" * 64, "10.20.30")
    ids = {bundle_model_id(*long), bundle_model_id(*long, origin="yolo11n"), bundle_model_id(*long, origin="yolo26n"),
           bundle_model_id("haidian", "gate", "1.0.0"), bundle_model_id("haidian", "gate", "1.0.1")}
    assert len(ids) == 5 and all(re.match(MODEL_ID_PATTERN, i) for i in ids)
    assert bundle_model_id(*long) == bundle_model_id(*long)
