"""Publisher keys on disk: private keys stay private, trusted keys are per district, and they sign and verify."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from workbench.core.errors import WorkbenchError
from workbench.features.sharing import keys
from workbench.features.sharing.signing import key_id


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def code_of(call) -> str:
    with pytest.raises(WorkbenchError) as err:
        call()
    return err.value.problems[0].code


def test_generate_writes_a_private_key_only_its_owner_can_read(home):
    own = keys.generate("haidian")
    assert own.path == home / "keys" / "haidian.key"
    assert mode(own.path) == 0o600 and mode(home / "keys") == 0o700
    assert b"PRIVATE KEY" in own.path.read_bytes()
    assert own.key_id == key_id(keys.load_private("haidian").public_key())
    assert [(k.district, k.key_id) for k in keys.own_keys()] == [("haidian", own.key_id)]
    # a district trusts its own key, so it can verify what it published
    assert [(k.district, k.key_id) for k in keys.trusted_keys()] == [("haidian", own.key_id)]
    assert (home / "trusted_keys" / f"haidian-{own.key_id}.pub").is_file()


def test_an_existing_key_is_kept_unless_forced(home):
    first = keys.generate("haidian")
    before = first.path.read_bytes()
    assert code_of(lambda: keys.generate("haidian")) == "keys_exists"
    assert first.path.read_bytes() == before
    second = keys.generate("haidian", force=True)
    assert second.key_id != first.key_id and mode(second.path) == 0o600
    assert {k.key_id for k in keys.trusted_keys()} == {first.key_id, second.key_id}  # old releases still verify
    assert not list((home / "keys").glob("*.tmp"))


def test_export_gives_the_public_key_that_another_machine_trusts(home, tmp_path, monkeypatch):
    own = keys.generate("haidian")
    pem = keys.export_public("haidian")
    assert pem.startswith("-----BEGIN PUBLIC KEY-----") and "PRIVATE" not in pem
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "other"))
    assert keys.trusted_keys() == []
    pem_file = tmp_path / "haidian.pub"
    pem_file.write_text(pem)
    got = keys.trust(pem_file, "haidian")
    assert (got.district, got.key_id) == ("haidian", own.key_id)
    assert keys.trust(pem, "haidian") == got  # text works too; trusting twice is harmless
    assert [(k.district, k.key_id) for k in keys.trusted_keys()] == [("haidian", own.key_id)]
    assert code_of(lambda: keys.load_private("haidian")) == "keys_missing"  # the public key cannot sign


def test_untrust_removes_the_key_for_every_district(home):
    key = Ed25519PrivateKey.generate()
    pem = keys.public_pem(key.public_key())
    keys.trust(pem, "haidian"), keys.trust(pem, "chaoyang")
    gone = keys.untrust(key_id(key.public_key()))
    assert sorted(k.district for k in gone) == ["chaoyang", "haidian"]
    assert keys.trusted_keys() == []
    assert code_of(lambda: keys.untrust(key_id(key.public_key()))) == "keys_not_trusted"


def test_a_private_key_is_never_trusted_nor_echoed(home, tmp_path):
    private_pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    with pytest.raises(WorkbenchError) as err:
        keys.trust(private_pem, "haidian")
    assert err.value.problems[0].code == "keys_not_public"
    body = private_pem.splitlines()[1]
    assert body not in str(err.value) and body not in repr(err.value.problems)
    assert keys.trusted_keys() == []


@pytest.mark.parametrize("text", ["-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----\n",
                                  "no such file.pem"])
def test_garbage_is_not_a_key(home, text):
    assert code_of(lambda: keys.trust(text, "haidian")) in {"keys_bad_pem", "keys_file_missing"}


def test_a_private_key_readable_by_others_is_refused(home):
    own = keys.generate("haidian")
    own.path.chmod(0o644)
    assert code_of(lambda: keys.load_private("haidian")) == "keys_exposed"


def test_a_trusted_key_file_changed_by_hand_is_noticed(home):
    own = keys.generate("haidian")
    other = keys.public_pem(Ed25519PrivateKey.generate().public_key())
    (home / "trusted_keys" / f"haidian-{own.key_id}.pub").write_text(other)
    assert code_of(keys.trusted_keys) == "keys_trusted_damaged"


def test_district_names_are_checked(home):
    assert code_of(lambda: keys.generate("../etc")) == "registry_bad_name"
    assert code_of(lambda: keys.trust(keys.public_pem(Ed25519PrivateKey.generate().public_key()), "A B")) == \
        "registry_bad_name"
    assert not (home / "keys").exists()
