"""The audit trail on SQLite and PostgreSQL: a whole chain verifies; a record changed, deleted or moved with SQL is
named; two processes appending at once keep one chain; export filters."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from workbench.apps.cli import main
from workbench.core.errors import WorkbenchError
from workbench.records import audit
from workbench.records.database import open_database
from workbench.records.roles import Actor, os_login


def _five() -> None:
    ann = Actor("ann", "haidian", frozenset({"builder"}))
    for i in range(1, 6):
        audit.record(ann if i % 2 else None, "pipeline.save", f"p{i}", before={"v": i - 1}, after={"v": i, "名": "中"})


def _sql(statement: str, **params: object) -> None:
    with open_database().begin() as connection:
        connection.execute(text(statement), params)


def test_a_whole_chain_verifies_and_the_cli_says_so(database_url: str, capsys: pytest.CaptureFixture) -> None:
    _five()
    assert audit.verify() == (5, None)
    assert main(["audit", "verify"]) == 0
    assert "5 records" in capsys.readouterr().out
    first = next(audit.entries())
    assert first.prev_hash == audit.GENESIS and first.actor == "ann"
    assert next(audit.entries(action="pipeline.save", actor=f"system:{_login()}")).seq == 2


def _login() -> str:
    return os_login()


@pytest.mark.parametrize(("tamper", "seq", "kind"), [
    ("UPDATE audit_log SET after = NULL WHERE seq = 3", 3, "changed"),
    ("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2", 2, "changed"),
    ("DELETE FROM audit_log WHERE seq = 3", 3, "removed"),
    ("DELETE FROM audit_log WHERE seq = 5", 5, "removed"),
    ("UPDATE audit_log SET seq = -3 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 4; "
     "UPDATE audit_log SET seq = 4 WHERE seq = -3", 3, "reordered"),  # records 3 and 4 swapped
])
def test_verify_names_the_first_record_changed_removed_or_reordered(
        database_url: str, tamper: str, seq: int, kind: str, capsys: pytest.CaptureFixture) -> None:
    _five()
    for statement in tamper.split("; "):
        _sql(statement)
    checked, finding = audit.verify()
    assert (finding.seq, finding.kind) == (seq, kind)
    assert checked == seq - 1
    assert main(["audit", "verify"]) == 1
    assert f"record {seq}" in capsys.readouterr().err


def test_a_record_rewritten_with_a_recomputed_hash_breaks_the_link_to_the_next(database_url: str) -> None:
    _five()
    entry = list(audit.entries())[1]  # record 2
    forged = {**entry.__dict__, "target": "innocent"}
    _sql("UPDATE audit_log SET target = 'innocent', hash = :h WHERE seq = 2",
         h=audit.record_hash(forged, entry.prev_hash))
    assert audit.verify()[1] == audit.Finding(3, "relinked")


def test_two_processes_appending_at_once_keep_one_chain(database_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    script = textwrap.dedent("""
        import sys, time
        from pathlib import Path
        from workbench.records import audit
        from workbench.records.database import open_database
        open_database()
        while not Path(sys.argv[2]).exists():  # both start appending at the same moment
            time.sleep(0.01)
        for i in range(60):
            audit.record(sys.argv[1], "test.append", str(i))
    """)
    audit.record(None, "test.start", "-")  # the schema exists before both start
    writers = [subprocess.Popen([sys.executable, "-c", script, name, str(go)], env=os.environ.copy(), cwd=Path.cwd())
               for name in ("writer-a", "writer-b")]
    time.sleep(3)
    go.touch()
    assert [w.wait(timeout=300) for w in writers] == [0, 0]
    assert audit.verify() == (121, None)
    appended = list(audit.entries(action="test.append"))
    for name in ("writer-a", "writer-b"):  # every append of each writer is there, in its own order
        assert [e.target for e in appended if e.actor == name] == [str(i) for i in range(60)]


def test_export_writes_the_filtered_records_as_csv_without_formulas(database_url: str, tmp_path: Path) -> None:
    _five()
    audit.record(Actor("=cmd|'/c calc'!A1", None, frozenset()), "user.roles", "bob")
    out = tmp_path / "audit.csv"
    assert main(["audit", "export", "--csv", str(out), "--action", "user"]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert [r["seq"] for r in rows] == ["6"] and rows[0]["actor"].startswith("'=")
    assert main(["audit", "export", "--csv", str(out), "--actor", "ann", "--since", "2000-01-01"]) == 0
    assert [r["target"] for r in csv.DictReader(out.open(encoding="utf-8-sig"))] == ["p1", "p3", "p5"]
    assert main(["audit", "export", "--csv", str(out), "--until", "2000-01-01"]) == 0
    assert list(csv.DictReader(out.open(encoding="utf-8-sig"))) == []


def test_only_admins_read_the_trail(database_url: str) -> None:
    _five()
    with pytest.raises(WorkbenchError) as refused:
        list(audit.entries(reader=Actor("ann", "haidian", frozenset({"builder", "publisher"}))))
    assert refused.value.problems[0].field == "audit.read"
    assert len(list(audit.entries(reader=Actor("root", None, frozenset({"admin"}))))) == 5
