"""The bundle manifest: canonical bytes, names and versions, and release.json as another district would send it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version
from pydantic import ValidationError

from workbench.core.errors import WorkbenchError
from workbench.features.sharing.manifest import BundleManifest, Release, canonical_bytes, check_name, parse_version

PIPELINE = Path(__file__).resolve().parents[4] / "pipelines" / "vehicle_count_line.yaml"


def manifest_data() -> dict[str, Any]:
    from workbench.engine.spec import load_spec

    return {
        "format": "workbench.bundle/v1", "name": "truck-count", "version": "1.2.3", "district": "haidian",
        "description": {"en": "Counts trucks at the gate", "zh": "统计出入口的卡车"},
        "tags": ["vehicles", "counting"], "task": "detect", "classes": ["truck"],
        "pipeline": load_spec(PIPELINE).to_dict(),
        "blocks": {"rules/line_crossing@v1": {"distribution": "video-workbench", "version": "0.1.0"}},
        "models": [{"id": "haidian.truck-count-1.2.3", "origin": "yolo11n", "classes": ["truck"], "license": "AGPL-3.0",
                    "files": [{"path": "weights/m.onnx", "format": "onnx", "sha256": "a" * 64}]}],
        "files": [{"path": "weights/m.onnx", "sha256": "a" * 64, "size": 10, "role": "weights"},
                  {"path": "pipeline.yaml", "sha256": "b" * 64, "size": 5, "role": "pipeline"}],
        "evaluation": {"detection": {"map50": 0.5}, "events": {"events.count_line.line_cross.f1": 1.0}},
        "site_fields": {"count_line": ["start", "end"]},
        "license": "AGPL-3.0", "created": "2026-11-02T08:00:00Z", "workbench_version": "0.1.0", "upload_id": "abc123",
    }


def reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(v) for v in value]
    return value


def test_canonical_bytes_do_not_depend_on_key_order():
    data = manifest_data()
    a = BundleManifest.model_validate(data)
    b = BundleManifest.model_validate(reversed_keys(data))
    assert list(reversed_keys(data)) != list(data)
    assert canonical_bytes(a) == canonical_bytes(b)
    parsed = json.loads(canonical_bytes(a))
    assert parsed["description"]["zh"] == "统计出入口的卡车"  # UTF-8, not \u escapes
    assert b" " not in canonical_bytes(a).split(b'"description"')[0]  # compact separators


def test_release_round_trip_keeps_the_signed_bytes():
    manifest = BundleManifest.model_validate(manifest_data())
    again = Release.from_bytes(Release(manifest=manifest).to_bytes())
    assert again.signature is None
    assert canonical_bytes(again.manifest) == canonical_bytes(manifest)


@pytest.mark.parametrize("data", [b"{not json", b"\xff\xfe", b"[]", b'{"format": "workbench.release/v1"}',
                                  b'{"format": "workbench.release/v2", "manifest": {}, "signature": null}'])
def test_a_damaged_release_record_is_a_bad_release(data):
    with pytest.raises(WorkbenchError) as err:
        Release.from_bytes(data, origin="haidian/x/1.0.0/release.json")
    assert [p.code for p in err.value.problems] == ["registry_bad_release"]
    assert err.value.problems[0].field == "haidian/x/1.0.0/release.json"


@pytest.mark.parametrize("change", [
    {"path": "../../etc/passwd"}, {"path": "/etc/passwd"}, {"path": "weights/../../x"}, {"path": ".hidden"},
    {"sha256": "A" * 64}, {"size": -1}, {"role": "script"}, {"surprise": 1},
])
def test_a_file_entry_from_another_district_is_checked(change):
    data = manifest_data()
    data["files"][0] = {**data["files"][0], **change}
    release = json.dumps({"format": "workbench.release/v1", "manifest": data, "signature": None}).encode()
    with pytest.raises(WorkbenchError) as err:
        Release.from_bytes(release)
    assert err.value.problems[0].code == "registry_bad_release"
    assert "files" in err.value.problems[0].params["detail"]


@pytest.mark.parametrize(("field", "value"), [
    ("name", "Truck Count"), ("district", "-haidian"), ("version", "1.2"), ("version", "01.2.3"),
    ("version", "1.2.3-beta"), ("created", "yesterday"), ("evaluation", {"detection": {"map50": float("nan")}}),
])
def test_invalid_manifest_fields_are_refused(field, value):
    with pytest.raises(ValidationError):
        BundleManifest.model_validate({**manifest_data(), field: value})


def test_every_block_in_the_pipeline_must_be_pinned():
    data = manifest_data()
    data["pipeline"]["nodes"][0]["type"] = "sources/video_file"
    with pytest.raises(ValidationError, match="without @vN"):
        BundleManifest.model_validate(data)


def test_manifest_is_frozen():
    manifest = BundleManifest.model_validate(manifest_data())
    with pytest.raises(ValidationError):
        manifest.version = "9.9.9"


def test_names_and_versions():
    assert check_name("truck-count_2") == "truck-count_2"
    for bad in ("", "Haidian", "a" * 65, "_x", "a/b"):
        with pytest.raises(WorkbenchError) as err:
            check_name(bad, "district")
        assert (err.value.problems[0].code, err.value.problems[0].field) == ("registry_bad_name", "district")
    assert parse_version("1.10.0") > parse_version("1.9.0") == Version("1.9.0")
    for bad in ("1.0", "v1.0.0", "1.0.0rc1", "1.0.0.0"):
        with pytest.raises(WorkbenchError) as err:
            parse_version(bad)
        assert err.value.problems[0].code == "registry_bad_version"
