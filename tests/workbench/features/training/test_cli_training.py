"""`workbench train` / `workbench models promote` as a user runs them (subcommands added to a parser here until
the lead wires them into workbench/apps/cli.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import torch

from workbench.core.errors import WorkbenchError
from workbench.features.training import cli_training
from workbench.features.training.jobs import list_trainings
from workbench.features.training.tracking import client, embedded_uri


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="workbench")
    cli_training.add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def _state(path: Path) -> dict[str, torch.Tensor]:
    from workbench.models.zoo import safe_checkpoint

    ckpt = safe_checkpoint(path)
    return {k: v.float() for k, v in (ckpt.get("ema") or ckpt["model"]).state_dict().items()}


@pytest.mark.slow
def test_train_with_mlflow_down_finishes_locally_and_freezes_the_backbone(
        tiny_dataset: Path, training_home: Path, trained_look_pt: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    from services.ports import free_ports

    (dead,) = free_ports(1)  # nothing listens there
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("WORKBENCH_LANG", "en")
    untrained_pt = trained_look_pt  # a base whose backbone counts as trained: freezing is kept
    code = run_cli("train", str(tiny_dataset), "--base", str(untrained_pt), "--epochs", "1", "--imgsz", "160",
                   "--device", "cpu", "--freeze", "--name", "cli-model")
    out = capsys.readouterr()
    (job,) = list_trainings()
    assert code == 0, out.err
    assert job.state == "done" and len(job.progress["history"]) == 1
    assert [w["code"] for w in job.result["warnings"]][:1] == ["mlflow_unreachable"]
    assert f"127.0.0.1:{dead}" in out.err  # the warning names the server that was down
    assert job.id in out.out and job.result["run_id"] in out.out
    assert job.result["embedded"] and (training_home / "mlflow.db").is_file()
    versions = client(embedded_uri()).search_model_versions("name='cli-model'")
    assert [str(v.version) for v in versions] == ["1"]
    params = client(embedded_uri()).get_run(job.result["run_id"]).data.params
    assert params["freeze_layers"] == "11"  # yolo11n's whole backbone (layers 0-10)
    base, best = _state(untrained_pt), _state(Path(job.result["best_pt"]))
    backbone = [k for k in best if k.startswith(("model.0.", "model.10.")) and k.endswith("conv.weight")]
    head = [k for k in best if k.startswith("model.16.") and k.endswith("conv.weight")]
    assert backbone and head
    assert all(torch.allclose(base[k].half().float(), best[k]) for k in backbone)
    assert any(not torch.allclose(base[k].half().float(), best[k]) for k in head)
    # one epoch of a random head finds nothing: said loudly, on both streams, not as an ordinary candidate
    assert job.result["verdict"] == "zero" and "training_freeze_untrained" not in out.err
    assert "!!!!" in out.err and "mAP50 0.000" in out.err and "Do not promote" in out.err
    assert "NOT USABLE" in out.out and "registered cli-model version 1 with alias" not in out.out


@pytest.mark.slow
def test_freezing_an_untrained_base_is_switched_off_with_a_message(
        tiny_dataset: Path, training_home: Path, untrained_pt: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setenv("WORKBENCH_LANG", "en")
    code = run_cli("train", str(tiny_dataset), "--base", str(untrained_pt), "--epochs", "1", "--imgsz", "160",
                   "--device", "cpu", "--name", "cli-random")  # --freeze is the default
    out = capsys.readouterr()
    (job,) = list_trainings()
    assert code == 0, out.err
    assert out.err.count("freeze_backbone: freezing the backbone was switched off") == 1  # said once, early
    assert out.err.index("switched off") < out.err.index("!!!!")
    params = client(embedded_uri()).get_run(job.result["run_id"]).data.params
    assert params["freeze_layers"] == "0" and job.result["freeze_switched_off"]
    base, best = _state(untrained_pt), _state(Path(job.result["best_pt"]))
    backbone = [k for k in best if k.startswith(("model.0.", "model.10.")) and k.endswith("conv.weight")]
    assert any(not torch.allclose(base[k].half().float(), best[k]) for k in backbone)  # the backbone learned


def test_train_refuses_bad_dataset_before_starting_a_worker(tiny_dataset: Path, training_home: Path):
    for label in (tiny_dataset.parent / "labels").rglob("*.txt"):
        label.write_text("")
    with pytest.raises(WorkbenchError) as exc:
        run_cli("train", str(tiny_dataset), "--base", "yolo11n.yaml")
    assert {p.code for p in exc.value.problems} == {"train_data_empty"}
    assert list_trainings() == []


def test_bad_option_is_a_problem_naming_the_field(tiny_dataset: Path, training_home: Path):
    with pytest.raises(WorkbenchError) as exc:
        run_cli("train", str(tiny_dataset), "--imgsz", "100")
    assert [(p.code, p.field) for p in exc.value.problems] == [("training_option_invalid", "imgsz")]


def test_promote_with_server_down_is_a_problem(training_home: Path, monkeypatch: pytest.MonkeyPatch):
    from services.ports import free_ports

    (dead,) = free_ports(1)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://user:secret@127.0.0.1:{dead}")
    with pytest.raises(WorkbenchError) as exc:
        run_cli("models", "promote", "x", "1")
    problem = exc.value.problems[0]
    assert problem.code == "mlflow_server_down" and "secret" not in json.dumps(problem.params)
