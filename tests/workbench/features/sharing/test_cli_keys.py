"""`workbench keys ...` as the lead wires it: argparse subcommands; no private key ever reaches the output."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from workbench.core.errors import WorkbenchError
from workbench.features.sharing.cli_keys import add_parsers


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="workbench")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def private_lines(home: Path) -> list[str]:
    """The base64 body lines of every private key file under `home`."""
    return [line for path in (home / "keys").glob("*.key") for line in path.read_text().splitlines()
            if line and not line.startswith("-----")]


def test_keys_commands_from_generate_to_untrust_never_print_a_private_key(tmp_path, monkeypatch, capsys):
    home, other = tmp_path / "haidian-home", tmp_path / "chaoyang-home"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    outputs = []

    def run(*argv: str) -> str:
        assert run_cli(list(argv)) == 0
        captured = capsys.readouterr()
        outputs.append(captured.out + captured.err)
        return captured.out

    run("keys", "generate", "--district", "haidian")
    listed = json.loads(run("keys", "list", "--json"))
    key_id = listed["own"][0]["key_id"]
    assert listed == {"own": [{"district": "haidian", "key_id": key_id}],
                      "trusted": [{"district": "haidian", "key_id": key_id}]}
    assert key_id in outputs[0]
    pem = run("keys", "export", "--district", "haidian")
    assert pem.startswith("-----BEGIN PUBLIC KEY-----") and pem.rstrip().endswith("-----END PUBLIC KEY-----")
    text = run("keys", "list")
    assert "haidian" in text and key_id in text

    monkeypatch.setenv("WORKBENCH_HOME", str(other))  # the other district trusts haidian's exported key
    (tmp_path / "haidian.pub").write_text(pem)
    assert key_id in run("keys", "trust", str(tmp_path / "haidian.pub"), "--district", "haidian")
    assert json.loads(run("keys", "list", "--json")) == {"own": [], "trusted": [{"district": "haidian",
                                                                                  "key_id": key_id}]}
    assert key_id in run("keys", "untrust", key_id)
    assert json.loads(run("keys", "list", "--json"))["trusted"] == []

    secret = private_lines(home)
    assert secret
    assert not any(line in out for line in secret for out in outputs)


def test_trust_reads_the_key_from_stdin(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "a"))
    run_cli(["keys", "generate", "--district", "chaoyang"])
    run_cli(["keys", "export", "--district", "chaoyang"])
    pem = capsys.readouterr().out.split("-----BEGIN", 1)[1]
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "b"))
    monkeypatch.setattr("sys.stdin", io.StringIO("-----BEGIN" + pem))
    assert run_cli(["keys", "trust", "-", "--district", "chaoyang"]) == 0
    assert len(list((tmp_path / "b" / "trusted_keys").glob("chaoyang-*.pub"))) == 1


def test_generating_twice_is_a_user_error_and_force_replaces(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    run_cli(["keys", "generate", "--district", "haidian"])
    before = (tmp_path / "keys" / "haidian.key").read_bytes()
    with pytest.raises(WorkbenchError) as err:
        run_cli(["keys", "generate", "--district", "haidian"])
    assert (err.value.problems[0].code, err.value.problems[0].field) == ("keys_exists", "district")
    assert (tmp_path / "keys" / "haidian.key").read_bytes() == before
    assert run_cli(["keys", "generate", "--district", "haidian", "--force"]) == 0
    assert (tmp_path / "keys" / "haidian.key").read_bytes() != before
    with pytest.raises(WorkbenchError) as err:
        run_cli(["keys", "export", "--district", "chaoyang"])
    assert err.value.problems[0].code == "keys_missing"
