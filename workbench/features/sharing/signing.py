"""Sign a bundle manifest with a district's ed25519 key and judge a release's signature against the trusted keys.

A release is `trusted` only when its signature verifies with a trusted public key AND that key is trusted for the
district the manifest names. Everything else has its own verdict, so a message can say exactly what failed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from workbench.core.errors import Problem
from workbench.features.sharing.manifest import BundleManifest, Release, Signature, canonical_bytes

Status = Literal["trusted", "untrusted", "unsigned", "bad_signature", "wrong_district"]


@dataclass(frozen=True)
class TrustedKey:
    """A public key this machine trusts for one district's releases."""

    district: str
    key_id: str
    public_key: Ed25519PublicKey


@dataclass(frozen=True)
class Verdict:
    """What the signature check found: `status`, the key id and the district of the (would-be) signer."""

    status: Status
    manifest_district: str
    key_id: str | None = None
    signer_district: str | None = None  # the trusted key's district; for unknown keys the district the signature claims

    @property
    def trusted(self) -> bool:
        return self.status == "trusted"

    def problem(self) -> Problem | None:
        """None when trusted, else the problem to show (`registry_<status>`), naming the key and districts."""
        if self.trusted:
            return None
        params = {"district": self.manifest_district, "key_id": self.key_id or "-",
                  "signer": self.signer_district or "-"}
        return Problem(f"registry_{self.status}", field="signature", params=params)


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex of sha256 over the raw 32-byte public key."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(manifest: BundleManifest, private_key: Ed25519PrivateKey, district: str | None = None) -> Signature:
    """Sign `canonical_bytes(manifest)`; the signature names the key and the district (default: the manifest's)."""
    value = private_key.sign(canonical_bytes(manifest))
    return Signature(key_id=key_id(private_key.public_key()), district=district or manifest.district,
                     value=base64.b64encode(value).decode("ascii"))


def signed_release(manifest: BundleManifest, private_key: Ed25519PrivateKey) -> Release:
    """A release record carrying `manifest` and its signature."""
    return Release(manifest=manifest, signature=sign(manifest, private_key))


def verify(release: Release, trusted_keys: Iterable[TrustedKey]) -> Verdict:
    """Judge the release's signature: trusted | untrusted | unsigned | bad_signature | wrong_district."""
    manifest, sig = release.manifest, release.signature
    if sig is None:
        return Verdict("unsigned", manifest.district)
    candidates = [k for k in trusted_keys if k.key_id == sig.key_id]
    if not candidates:
        return Verdict("untrusted", manifest.district, sig.key_id, sig.district)
    try:
        value = base64.b64decode(sig.value, validate=True)
        candidates[0].public_key.verify(value, canonical_bytes(manifest))
    except (InvalidSignature, binascii.Error, ValueError):
        return Verdict("bad_signature", manifest.district, sig.key_id, candidates[0].district)
    for key in candidates:
        if key.district == manifest.district:
            return Verdict("trusted", manifest.district, sig.key_id, key.district)
    return Verdict("wrong_district", manifest.district, sig.key_id, candidates[0].district)
