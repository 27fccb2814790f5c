"""`workbench eval events|detection` as the lead wires them: argparse subcommands calling the evaluation modules."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from workbench.errors import WorkbenchError
from workbench.evaluation.cli_eval import add_parsers
from workbench.evaluation.truth import load_truth_file, write_truth_csv
from workbench.synth import generate

PIPELINES = Path(__file__).resolve().parents[3] / "pipelines"


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="workbench")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_eval_events_with_staff_csv_truth_prints_the_json_report(tmp_path, capsys):
    clip = generate("restricted_zone", tmp_path, seed=0)
    csv_truth = tmp_path / "entered.csv"  # as staff would enter it in the app: seconds, no frames
    csv_truth.write_text(write_truth_csv(load_truth_file(clip.truth)), encoding="utf-8")
    code = run_cli(["eval", "events", str(PIPELINES / "restricted_zone_people.yaml"), "--clip", str(clip.video),
                    "--truth", str(csv_truth), "--tolerance", "1", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["totals"]["f1"] == 1.0 and report["totals"]["tp"] == 4
    assert {(r["node"], r["type"]) for r in report["rules"]} == {("restricted", "zone_enter"),
                                                                 ("restricted", "zone_exit")}


def test_eval_events_with_a_missing_truth_file_is_a_user_error(tmp_path):
    with pytest.raises(WorkbenchError) as err:
        run_cli(["eval", "events", str(PIPELINES / "vehicle_count_line.yaml"), "--clip", str(tmp_path / "c.mp4"),
                 "--truth", str(tmp_path / "none.json")])
    assert err.value.problems[0].code == "eval_truth_missing"


def test_eval_detection_needs_at_least_one_model():
    with pytest.raises(SystemExit) as exit_:
        run_cli(["eval", "detection", "data.yaml"])
    assert exit_.value.code == 2  # argparse: --model is required
