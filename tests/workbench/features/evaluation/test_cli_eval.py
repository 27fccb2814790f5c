"""`workbench eval events|detection` as the lead wires them: argparse subcommands calling the evaluation modules."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pytest

from workbench.apps.cli import main
from workbench.core.errors import WorkbenchError
from workbench.core.i18n import t
from workbench.features.evaluation.cli_eval import add_parsers
from workbench.features.evaluation.truth import load_truth_file, write_truth_csv
from workbench.features.synth import generate
from workbench.features.training.tracking import client, embedded_uri

PIPELINES = Path(__file__).resolve().parents[4] / "pipelines"


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


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path / "home"


def test_an_unknown_training_is_a_problem_naming_the_option(home, capsys):
    assert main(["eval", "detection", "--training", "20990101-000000-zzzz"]) == 1
    err = capsys.readouterr().err
    assert "--training" in err and t("problem.eval_training_unknown", job="20990101-000000-zzzz") in err
    assert "Traceback" not in err


def test_an_unknown_mlflow_run_stops_before_the_evaluation(home, tmp_path, capsys):
    clip = generate("restricted_zone", tmp_path, seed=0)
    began = time.monotonic()
    code = main(["eval", "events", str(PIPELINES / "restricted_zone_people.yaml"), "--clip", str(clip.video),
                 "--truth", str(clip.truth), "--mlflow-run", "f" * 32])
    assert code == 1 and time.monotonic() - began < 20  # no replay of the clip first
    err = capsys.readouterr().err
    assert "--mlflow-run" in err and "Traceback" not in err


def test_eval_events_logged_to_a_new_mlflow_run(home, tmp_path, capsys):
    clip = generate("restricted_zone", tmp_path, seed=0)
    assert main(["eval", "events", str(PIPELINES / "restricted_zone_people.yaml"), "--clip", str(clip.video),
                 "--truth", str(clip.truth), "--mlflow", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    run = client(embedded_uri()).get_run(out["mlflow"]["run_id"])
    assert run.data.metrics["events.total.f1"] == out["totals"]["f1"] == 1.0
    assert run.data.metrics["events.restricted.zone_enter.tp"] == 2.0
    assert run.data.params["clip"] == str(clip.video) and run.data.params["tolerance_s"] == "1.0"


@pytest.mark.parametrize("argv", [["eval", "detection", "--model", "a.pt"],  # no DATA_YAML
                                  ["eval", "detection", "d.yaml", "--model", "a.pt", "--training", "x"],
                                  ["eval", "detection", "--training", "x", "--mlflow"],
                                  ["eval", "events", "p.yaml", "--clip", "c", "--truth", "t", "--mlflow",
                                   "--mlflow-run", "r"]])
def test_contradicting_options_are_usage_errors(argv, home):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2


def test_a_bad_pair_option_names_the_option_and_the_form(tmp_path, capsys):
    clip = generate("restricted_zone", tmp_path, seed=0)
    code = main(["eval", "events", str(PIPELINES / "restricted_zone_people.yaml"), "--clip", str(clip.video),
                 "--truth", str(clip.truth), "--pair", "restricted"])
    err = capsys.readouterr().err
    assert code != 0 and "--pair restricted" in err and "Traceback" not in err


def test_pairing_a_rule_with_no_region_scores_zero_and_says_why(tmp_path, capsys):
    clip = generate("restricted_zone", tmp_path, seed=0)
    spec = PIPELINES / "restricted_zone_people.yaml"
    truth = load_truth_file(clip.truth)
    renamed = tmp_path / "renamed.csv"  # the truth calls the zone otherwise than the pipeline
    renamed.write_text(write_truth_csv(truth).replace("restricted", "site_fence"), encoding="utf-8")
    code = run_cli(["eval", "events", str(spec), "--clip", str(clip.video), "--truth", str(renamed), "--json"])
    auto = json.loads(capsys.readouterr().out)
    assert code == 0 and auto["totals"]["tp"] == 4 and auto["region_map"] == {"restricted": "site_fence"}
    run_cli(["eval", "events", str(spec), "--clip", str(clip.video), "--truth", str(renamed), "--pair", "restricted="])
    text = capsys.readouterr().out
    assert t("problem.eval_zero_regions", "en", rules="restricted", regions="site_fence") in text
