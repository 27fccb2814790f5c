"""Publisher keys: this machine's private signing keys and the public keys it trusts, per district.

    <home>/keys/<district>.key                    private ed25519 key (PEM, PKCS#8), file mode 0600, never printed
    <home>/trusted_keys/<district>-<key_id>.pub   a trusted public key (PEM) for that district's releases

`generate()` also trusts the new key for its own district, so a district can verify what it published itself.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.paths import workbench_home
from workbench.features.sharing.manifest import check_name
from workbench.features.sharing.signing import TrustedKey, key_id
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require


@dataclass(frozen=True)
class OwnKey:
    """A private key on this machine (the key itself is never kept in this record)."""

    district: str
    key_id: str
    path: Path


def _error(code: str, field: str | None = None, **params: str) -> WorkbenchError:
    return WorkbenchError([Problem(code, field=field, params=params)])


def keys_dir() -> Path:
    return workbench_home() / "keys"


def trusted_dir() -> Path:
    return workbench_home() / "trusted_keys"


def _private_path(district: str) -> Path:
    return keys_dir() / f"{check_name(district, 'district')}.key"


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _write_private(path: Path, key: Ed25519PrivateKey) -> None:
    """Create the file with mode 0600 from the start (never briefly readable by others), then move it in place."""
    data = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o600)  # in case a umask or an odd file system changed it
    os.replace(tmp, path)


def generate(district: str, force: bool = False) -> OwnKey:
    """Make this machine's signing key for `district`; an existing key is kept unless `force` (`keys_exists`)."""
    path = _private_path(district)
    if path.exists() and not force:
        raise _error("keys_exists", "district", district=district, path=str(path))
    keys_dir().mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir(), 0o700)
    key = Ed25519PrivateKey.generate()
    _write_private(path, key)
    trust(public_pem(key.public_key()), district)
    return OwnKey(district, key_id(key.public_key()), path)


def load_private(district: str) -> Ed25519PrivateKey:
    """The signing key of `district`; missing (`keys_missing`), readable by others (`keys_exposed`) or damaged."""
    path = _private_path(district)
    if not path.is_file():
        raise _error("keys_missing", "district", district=district)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise _error("keys_exposed", "district", path=str(path))
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise _error("keys_damaged", "district", path=str(path), detail=type(exc).__name__) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise _error("keys_damaged", "district", path=str(path), detail="not an ed25519 key")
    return key


def own_keys() -> list[OwnKey]:
    """The districts this machine can sign for, with their key ids."""
    found = []
    for path in sorted(keys_dir().glob("*.key")) if keys_dir().is_dir() else []:
        found.append(OwnKey(path.stem, key_id(load_private(path.stem).public_key()), path))
    return found


def export_public(district: str) -> str:
    """The PEM text of `district`'s public key, to give to other districts (`keys trust`)."""
    return public_pem(load_private(district).public_key())


def _parse_public(text: str, origin: str) -> Ed25519PublicKey:
    if "PRIVATE KEY" in text:  # never echo it back: the message names only where it came from
        raise _error("keys_not_public", "file", origin=origin)
    try:
        key = load_pem_public_key(text.encode("ascii", errors="replace"))
    except (ValueError, TypeError):
        raise _error("keys_bad_pem", "file", origin=origin) from None
    if not isinstance(key, Ed25519PublicKey):
        raise _error("keys_bad_pem", "file", origin=origin)
    return key


def trust(pem_file_or_text: str | Path, district: str, actor: Actor | None = None) -> TrustedKey:
    """Trust a public key (PEM text, or a file holding it) for `district`'s releases; trusting twice is harmless."""
    actor = require(actor, Permission.KEYS_TRUST)
    check_name(district, "district")
    text, origin = str(pem_file_or_text), "text"
    if not text.lstrip().startswith("-----BEGIN"):
        path = Path(text).expanduser()
        if not path.is_file():
            raise _error("keys_file_missing", "file", path=str(path))
        text, origin = path.read_text(encoding="ascii", errors="replace"), str(path)
    key = _parse_public(text, origin)
    kid = key_id(key)
    trusted_dir().mkdir(parents=True, exist_ok=True)
    target = trusted_dir() / f"{district}-{kid}.pub"
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(public_pem(key), encoding="ascii")
    os.replace(tmp, target)
    audit.record(actor, "keys.trust", f"{district}/{kid}", after={"district": district, "key_id": kid})
    return TrustedKey(district, kid, key)


def trusted_keys() -> list[TrustedKey]:
    """Every trusted key; a file whose content does not match its name is `keys_trusted_damaged`."""
    found = []
    for path in sorted(trusted_dir().glob("*.pub")) if trusted_dir().is_dir() else []:
        district, _, kid = path.stem.rpartition("-")
        key = _parse_public(path.read_text(encoding="ascii", errors="replace"), str(path))
        if key_id(key) != kid or not district:
            raise _error("keys_trusted_damaged", "file", path=str(path))
        found.append(TrustedKey(district, kid, key))
    return found


def untrust(kid: str, actor: Actor | None = None) -> list[TrustedKey]:
    """Stop trusting the key `kid` (for every district it was trusted for); unknown ids are `keys_not_trusted`."""
    actor = require(actor, Permission.KEYS_TRUST)
    gone = [k for k in trusted_keys() if k.key_id == kid]
    if not gone:
        raise _error("keys_not_trusted", "key_id", key_id=kid)
    for k in gone:
        (trusted_dir() / f"{k.district}-{k.key_id}.pub").unlink(missing_ok=True)
        audit.record(actor, "keys.untrust", f"{k.district}/{k.key_id}", before={"district": k.district})
    return gone
