"""Signatures over the canonical manifest: who may sign for which district, and what any change does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from workbench.engine.spec import load_spec
from workbench.features.sharing.manifest import BundleManifest, Release, Signature
from workbench.features.sharing.signing import TrustedKey, key_id, sign, signed_release, verify

PIPELINE = Path(__file__).resolve().parents[4] / "pipelines" / "vehicle_count_line.yaml"


def manifest(district: str = "haidian") -> BundleManifest:
    return BundleManifest.model_validate({
        "name": "truck-count", "version": "1.2.3", "district": district,
        "description": {"en": "Counts trucks at the gate", "zh": "统计出入口的卡车"}, "tags": ["vehicles"],
        "title": {"en": "Truck count", "zh": "卡车计数"},
        "task": "detect", "classes": ["truck"], "pipeline": load_spec(PIPELINE).to_dict(),
        "blocks": {"rules/line_crossing@v1": {"distribution": "video-workbench", "version": "0.1.0"}},
        "models": [{"id": "m1", "origin": "yolo11n", "classes": ["truck"], "license": "AGPL-3.0",
                    "files": [{"path": "weights/m1.pt", "format": "pt", "sha256": "c" * 64}]}],
        "files": [{"path": "weights/m1.pt", "sha256": "c" * 64, "size": 10, "role": "weights"}],
        "evaluation": {"detection": {"map50": 0.5}, "events": {"f1": 1}}, "site_fields": {"count_line": ["start"]},
        "license": "AGPL-3.0", "created": "2026-11-02T08:00:00Z", "workbench_version": "0.1.0", "upload_id": "u1",
    })


def trusted(key: Ed25519PrivateKey, district: str) -> TrustedKey:
    return TrustedKey(district, key_id(key.public_key()), key.public_key())


def test_a_release_signed_by_the_districts_trusted_key_is_trusted():
    key = Ed25519PrivateKey.generate()
    release = signed_release(manifest(), key)
    verdict = verify(release, [trusted(Ed25519PrivateKey.generate(), "chaoyang"), trusted(key, "haidian")])
    assert verdict.trusted and verdict.problem() is None
    assert (verdict.key_id, verdict.signer_district) == (key_id(key.public_key()), "haidian")
    assert release.signature.key_id == key_id(key.public_key()) and len(release.signature.key_id) == 16


def _mutations(value: Any) -> list[Any]:
    """Copies of a JSON value, each with one character or number of one leaf changed."""
    if isinstance(value, dict):
        return [{**value, k: m} for k in value for m in _mutations(value[k])]
    if isinstance(value, list):
        return [[*value[:i], m, *value[i + 1:]] for i in range(len(value)) for m in _mutations(value[i])]
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int | float):
        return [value + 1]
    if isinstance(value, str):  # one character changed, trying each position from the end
        swap = {"9": "8", "z": "y", "Z": "Y"}
        return [value[:i] + (swap.get(c) or chr(ord(c) + 1)) + value[i + 1:]
                for i, c in reversed(list(enumerate(value))) if c.isascii() and c.isalnum()]
    return []


def test_a_one_character_change_in_any_field_breaks_the_signature():
    key = Ed25519PrivateKey.generate()
    original = manifest()
    signature = sign(original, key)
    keys = [trusted(key, "haidian")]
    data = original.model_dump(mode="json")
    for field in data:
        changed = None
        for mutation in _mutations(data[field]):
            try:
                changed = BundleManifest.model_validate({**data, field: mutation})
                break
            except ValidationError:
                continue  # e.g. an ASCII swap that breaks a pattern: try the next leaf
        if field == "format":
            assert changed is None  # the only field that cannot change at all
            continue
        assert changed is not None, f"no valid one-character change found for {field}"
        assert changed != original
        verdict = verify(Release(manifest=changed, signature=signature), keys)
        assert verdict.status == "bad_signature", field
        assert verdict.problem().code == "registry_bad_signature"


def test_a_change_in_the_stored_release_json_breaks_the_signature():
    key = Ed25519PrivateKey.generate()
    data = signed_release(manifest(), key).to_bytes()
    tampered = data.replace("统计出入口的卡车".encode(), "统计出入口的汽车".encode())
    assert tampered != data
    verdict = verify(Release.from_bytes(tampered), [trusted(key, "haidian")])
    assert verdict.status == "bad_signature"


def test_a_key_trusted_for_another_district_is_wrong_district():
    chaoyang = Ed25519PrivateKey.generate()
    release = signed_release(manifest("haidian"), chaoyang)  # chaoyang signs an algorithm claiming to be haidian's
    verdict = verify(release, [trusted(chaoyang, "chaoyang")])
    assert verdict.status == "wrong_district"
    assert (verdict.manifest_district, verdict.signer_district) == ("haidian", "chaoyang")
    assert verdict.problem().code == "registry_wrong_district"
    assert verdict.problem().params["signer"] == "chaoyang"


def test_an_unknown_key_is_untrusted_and_no_signature_is_unsigned():
    signer, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    verdict = verify(signed_release(manifest(), signer), [trusted(other, "haidian")])
    assert verdict.status == "untrusted" and verdict.key_id == key_id(signer.public_key())
    assert verdict.problem().code == "registry_untrusted"
    assert verify(signed_release(manifest(), signer), []).status == "untrusted"
    unsigned = verify(Release(manifest=manifest()), [trusted(signer, "haidian")])
    assert unsigned.status == "unsigned" and unsigned.problem().code == "registry_unsigned"


def test_a_garbage_signature_value_is_a_bad_signature():
    key = Ed25519PrivateKey.generate()
    good = sign(manifest(), key)
    for value in ("AAAA", "not+base64=padding==", good.value[:-4] + "AAA="):
        forged = Signature(key_id=good.key_id, district="haidian", value=value)
        assert verify(Release(manifest=manifest(), signature=forged), [trusted(key, "haidian")]).status == \
            "bad_signature"


def test_the_signature_record_survives_release_json():
    key = Ed25519PrivateKey.generate()
    release = Release.from_bytes(signed_release(manifest(), key).to_bytes())
    assert json.loads(release.to_bytes())["signature"]["algorithm"] == "ed25519"
    assert verify(release, [trusted(key, "haidian")]).trusted
