"""`workbench models promote` shows the candidate beside the current champion and asks (--yes skips); registered
versions are made by hand in the embedded registry with the metrics and tags a training records (no training)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from workbench.core.errors import WorkbenchError
from workbench.features.training.promotion import comparison_rows, promotion_check
from workbench.features.training.quality import BASE_MAP50_METRIC, VERDICT_TAG
from workbench.features.training.tracking import Tracking, TrainingRecord, client, embedded_uri, promote

from .test_cli_training import run_cli

NAME = "gate-model"


def _version(tmp_path: Path, weights: Path, metrics: dict[str, float], verdict: str, dataset: str) -> str:
    folder = tmp_path / f"model-{len(list(tmp_path.glob('model-*')))}"
    folder.mkdir()
    (folder / "best.pt").write_bytes(weights.read_bytes())
    tags = {"workbench.dataset_version": dataset, "workbench.base_model": "yolo11n", VERDICT_TAG: verdict}
    record = TrainingRecord(Tracking(embedded_uri(), True), NAME)
    record.start({}, tags)
    record.log_metrics({f"best/{k}": v for k, v in metrics.items()}, 1)
    if verdict != "zero":
        record.log_metrics({BASE_MAP50_METRIC: 0.31}, 1)
    version = record.register(folder, NAME, tags)
    record.end("FINISHED")
    return version


@pytest.fixture
def registry(training_home: Path, tmp_path: Path, untrained_pt: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Version 1 (champion, mAP50 0.62, better than its base) and version 2 (candidate, mAP50 0, other dataset)."""
    monkeypatch.setenv("WORKBENCH_LANG", "en")
    good = {"mAP50": 0.62, "mAP50-95": 0.41, "precision": 0.7, "recall": 0.6}
    promote(NAME, _version(tmp_path, untrained_pt, good, "better", "aaaa000011112222"))
    _version(tmp_path, untrained_pt, dict.fromkeys(good, 0.0), "zero", "bbbb000011112222")
    return training_home


def _champion() -> str:
    return str(client(embedded_uri()).get_model_version_by_alias(NAME, "champion").version)


def test_the_comparison_and_what_speaks_against_it(registry: Path):
    check = promotion_check(NAME, "2")
    assert (check.candidate.version, check.current.version) == ("2", "1")
    assert [w.code for w in check.warnings] == ["promote_candidate_zero", "promote_no_better_than_current",
                                                "promote_other_validation"]
    rows = {r[0]: r[1:] for r in comparison_rows(check, "en")}
    assert rows["mAP50"] == ("0.000", "0.620") and rows["aliases"] == ("candidate", "champion")
    assert rows["verdict of its training"] == ("FINDS NOTHING (mAP50 0)", "better than its base")
    assert rows["base's mAP50 on the same images"] == ("-", "0.310")
    zh = {r[0] for r in comparison_rows(check, "zh")}
    assert "训练结论" in zh


def test_no_answer_promotes_nothing_and_names_yes(registry: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    """A script (no terminal) gets the comparison and a problem naming --yes; nothing changes."""
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(WorkbenchError) as err:
        run_cli("models", "promote", NAME, "2")
    (problem,) = err.value.problems
    assert problem.code == "promote_needs_confirmation" and problem.field == "--yes"
    out = capsys.readouterr()
    assert "0.000" in out.out and "0.620" in out.out and "current champion" in out.out
    assert "scored mAP50 0.000" in out.err  # the warnings, before the question
    assert _champion() == "1"


def test_the_prompt_asks_and_a_no_changes_nothing(registry: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert run_cli("models", "promote", NAME, "2") == 1
    assert "Make gate-model version 2 'champion'? [y/N]" in capsys.readouterr().out
    assert _champion() == "1"
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert run_cli("models", "promote", NAME, "2") == 0
    assert _champion() == "2"
    capsys.readouterr()
    assert run_cli("models", "promote", NAME, "2") == 0  # nothing to ask
    assert "already 'champion'" in capsys.readouterr().out


def test_yes_skips_the_question_but_not_the_comparison(registry: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # would be EOF if asked
    assert run_cli("models", "promote", NAME, "2", "--yes") == 0
    out = capsys.readouterr()
    assert "[y/N]" not in out.out and "0.620" in out.out and "scored mAP50 0.000" in out.err
    assert _champion() == "2"


def test_a_first_champion_has_nothing_to_compare_with(training_home: Path, tmp_path: Path, untrained_pt: Path):
    version = _version(tmp_path, untrained_pt, {"mAP50": 0.5}, "unscored_base", "cccc")
    check = promotion_check(NAME, version)
    assert check.current is None and check.warnings == []
    assert {r[0]: r[2] for r in comparison_rows(check)}["mAP50"] == "-"
