"""`workbench keys` + `workbench registry` as a user runs them (workbench.apps.cli.main, and the real command in a
subprocess for exit codes), on a local-folder registry in a fresh workbench home with a real (untrained) YOLO model."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sharing_support import DESCRIPTION, yolo_pipeline

from workbench.apps.cli import main
from workbench.core.errors import WorkbenchError
from workbench.core.registry import default_registry
from workbench.engine.spec import load_spec
from workbench.engine.validate import errors_only, validate
from workbench.models import zoo

REF = "haidian/gate-count"
EVALUATION = {"detection": {"mAP50": 0.55, "recall": 0.4}, "events": {"count_line.line_crossing.f1": 0.9}}


@pytest.fixture
def user(zoo_home, tmp_path, monkeypatch):
    """A haidian machine: fresh home, registry folder from the environment, an embedded MLflow store."""
    monkeypatch.setenv("WORKBENCH_REGISTRY_URL", str(tmp_path / "registry"))
    monkeypatch.setenv("WORKBENCH_REGISTRY_DISTRICT", "haidian")
    for name in ("WORKBENCH_REGISTRY_POLICY", "MLFLOW_TRACKING_URI", "WORKBENCH_LANG"):
        monkeypatch.delenv(name, raising=False)
    pipeline = tmp_path / "gate.yaml"
    pipeline.write_text(yolo_pipeline().to_yaml(), encoding="utf-8")
    return zoo_home


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run `workbench --lang en ARGV...` in this process: (exit code, stdout, stderr)."""
    code = main(["--lang", "en", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def raised(*argv: str) -> WorkbenchError:
    """The error `workbench --debug ARGV...` raises (what the plain command prints without a traceback)."""
    with pytest.raises(WorkbenchError) as caught:
        main(["--lang", "en", "--debug", *argv])
    return caught.value


def publish_args(tmp_path: Path, version: str, *extra: str) -> list[str]:
    return ["registry", "publish", str(tmp_path / "gate.yaml"), "--name", "gate-count", "--version", version,
            "--description-en", DESCRIPTION["en"], "--description-zh", DESCRIPTION["zh"], "--tags",
            "vehicles,counting", "--task", "count", *extra]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_publish_browse_show_and_pull_from_the_command_line(user, tiny_weights, tmp_path, capsys):
    assert cli(capsys, "keys", "generate", "--district", "haidian")[0] == 0
    evaluation = tmp_path / "evaluation.json"
    evaluation.write_text(json.dumps(EVALUATION), encoding="utf-8")
    code, out, _ = cli(capsys, *publish_args(tmp_path, "1.0.0", "--weights", *map(str, tiny_weights),
                                            "--evaluation", str(evaluation)))
    assert code == 0 and f"{REF}@1.0.0" in out
    assert cli(capsys, *publish_args(tmp_path, "1.0.1", "--weights", str(tiny_weights[1])))[0] == 0

    def listed(*options: str) -> list[dict]:
        code, out, _ = cli(capsys, "registry", "list", "--json", *options)
        assert code == 0
        return json.loads(out)

    (newest,) = listed()
    assert (newest["ref"], newest["trust"], newest["task"]) == (f"{REF}@1.0.1", "trusted", "count")
    assert newest["tags"] == ["vehicles", "counting"] and newest["description"] == DESCRIPTION
    assert [e["ref"] for e in listed("--all-versions")] == [f"{REF}@1.0.1", f"{REF}@1.0.0"]
    assert [e["ref"] for e in listed("--search", "闸口")] == [f"{REF}@1.0.1"]
    assert [e["ref"] for e in listed("--tag", "counting", "--district", "haidian")] == [f"{REF}@1.0.1"]
    assert listed("--search", "people") == listed("--task", "dwell") == listed("--district", "chaoyang") == []
    code, out, _ = cli(capsys, "registry", "list")
    assert code == 0 and f"{REF}@1.0.1" in out and DESCRIPTION["en"] in out and "1.0.0" not in out

    code, out, _ = cli(capsys, "registry", "show", f"{REF}@1.0.0", "--json")
    shown = json.loads(out)
    manifest = shown["manifest"]
    assert code == 0 and shown["trust"] == "trusted" and manifest["version"] == "1.0.0"
    assert manifest["evaluation"]["detection"]["mAP50"] == 0.55
    assert manifest["evaluation"]["events"] == EVALUATION["events"]
    assert {f["sha256"] for f in manifest["files"] if f["role"] == "weights"} == set(map(sha256, tiny_weights))
    assert manifest["site_fields"] == {"count_line": ["start", "end"]} and "AGPL-3.0" in manifest["license"]

    code, out, _ = cli(capsys, "registry", "pull", f"{REF}@1.0.0")
    assert code == 0
    (pipeline,) = (user / "pipelines").glob("*.yaml")
    assert str(pipeline) in out
    spec = load_spec(pipeline)
    assert errors_only(validate(spec, default_registry())) == []
    (model,) = [n.config["model"] for n in spec.nodes if n.type.startswith("detection/")]
    assert zoo.get_model(model) and zoo.resolve_weights(model).read_bytes() == tiny_weights[1].read_bytes()
    assert spec.meta.model_extra["site_pending"] == {"count_line": ["start", "end"]}
    assert "count_line" in out  # the site settings to redraw are named
    bundle = user / "imported" / "haidian" / "gate-count" / "1.0.0"
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == {
        p.relative_to(bundle).as_posix(): sha256(p) for p in bundle.rglob("*") if p.is_file()}

    assert cli(capsys, "registry", "pull", REF)[0] == 0  # no version: the newest
    assert len(list((user / "pipelines").glob("*.yaml"))) == 2 and (bundle.parent / "1.0.1").is_dir()


def test_publishing_a_published_version_again_exits_1_without_a_traceback(user, tiny_weights, tmp_path, capsys):
    assert cli(capsys, "keys", "generate", "--district", "haidian")[0] == 0
    assert cli(capsys, *publish_args(tmp_path, "1.0.0", "--weights", str(tiny_weights[1])))[0] == 0
    again = publish_args(tmp_path, "1.0.0", "--weights", *map(str, tiny_weights), "--description-en", "changed")
    (problem,) = raised(*again).problems
    assert (problem.code, problem.field) == ("registry_version_exists", "version")

    done = subprocess.run([sys.executable, "-m", "workbench.apps.cli", "--lang", "en", *again], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[4])}, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert problem.message("en") in done.stderr
    _code, out, _ = cli(capsys, "registry", "list", "--json", "--all-versions")
    (entry,) = json.loads(out)
    assert entry["description"] == DESCRIPTION and entry["trust"] == "trusted"  # the published version is unchanged


def test_district_option_publishes_to_a_folder_registry_without_the_district_setting(user, tiny_weights, tmp_path,
                                                                                      capsys, monkeypatch):
    monkeypatch.delenv("WORKBENCH_REGISTRY_DISTRICT")
    assert cli(capsys, "keys", "generate", "--district", "haidian")[0] == 0
    code, out, err = cli(capsys, *publish_args(tmp_path, "1.0.0", "--weights", str(tiny_weights[1]),
                                               "--district", "haidian"))
    assert (code, err.count("error")) == (0, 0) and f"{REF}@1.0.0" in out
    assert (tmp_path / "registry" / "haidian" / "gate-count" / "1.0.0" / "release.json").is_file()
    code, out, _ = cli(capsys, "registry", "list", "--json")
    assert code == 0 and [e["ref"] for e in json.loads(out)] == [f"{REF}@1.0.0"]

    code, out, err = cli(capsys, *publish_args(tmp_path, "1.0.1", "--weights", str(tiny_weights[1]),
                                               "--district", "Hai Dian"))
    assert code == 1 and "--district" in err and "Hai Dian" in err and "CREDENTIALS" not in err.upper()


@pytest.mark.parametrize(("argv", "code", "named"), [
    (["registry", "show", "gate-count"], "registry_bad_ref", "gate-count"),
    (["registry", "pull", "haidian/Gate-Count@1.0"], "registry_bad_ref", "haidian/Gate-Count@1.0"),
    (["registry", "show", "haidian/nothing@1.0.0"], "registry_version_unknown", "haidian/nothing@1.0.0"),
    (["registry", "pull", "haidian/nothing"], "registry_version_unknown", "haidian/nothing"),
    (["registry", "pull", "haidian/nothing@1.0.0"], "registry_version_unknown", "haidian/nothing@1.0.0"),
])
def test_a_bad_or_unknown_reference_exits_1_naming_it(user, capsys, argv, code, named):
    (problem,) = raised(*argv).problems
    assert problem.code == code
    exit_code, out, err = cli(capsys, *argv)
    assert exit_code == 1 and out == "" and named in err and problem.message("en") in err
    assert not (user / "pipelines").exists() and not (user / "imported").exists()


def registered_version(tiny_weights: tuple[Path, Path], folder: Path) -> str:
    """A finished training as workbench.features.training records it: a run with metrics, its weights registered."""
    from workbench.features.training.tracking import TrainingRecord, choose_tracking

    record = TrainingRecord(choose_tracking(), "gate training")
    record.start({"epochs": 2}, {"workbench.base_model": "yolo11n"})
    record.log_metrics({"metrics/mAP50(B)": 0.31, "metrics/precision(B)": 0.5}, step=0)
    record.log_metrics({"metrics/mAP50(B)": 0.62, "metrics/precision(B)": 0.7, "train/box_loss": 1.2}, step=1)
    record.log_metrics({"events.count_line.line_crossing.f1": 0.8}, step=1)
    folder.mkdir()
    for path in tiny_weights:
        shutil.copyfile(path, folder / f"best{path.suffix}")
    version = record.register(folder, "gate-model", {"workbench.base_model": "yolo11n"})
    record.end("FINISHED")
    return version


def test_publish_from_a_registered_mlflow_model_version_carries_its_weights_and_metrics(user, tiny_weights, tmp_path,
                                                                                       capsys):
    assert cli(capsys, "keys", "generate", "--district", "haidian")[0] == 0
    version = registered_version(tiny_weights, tmp_path / "trained")
    (problem,) = raised(*publish_args(tmp_path, "1.0.0", "--model-version", "gate-model/99")).problems
    assert (problem.code, problem.field) == ("model_version_unknown", "model_version")
    assert cli(capsys, "registry", "list", "--json")[1].strip() == "[]"  # nothing published

    code, out, _ = cli(capsys, *publish_args(tmp_path, "1.0.0", "--model-version", f"gate-model/{version}"))
    assert code == 0 and f"{REF}@1.0.0" in out
    manifest = json.loads(cli(capsys, "registry", "show", f"{REF}@1.0.0", "--json")[1])["manifest"]
    assert {f["path"].rsplit(".", 1)[1]: f["sha256"] for f in manifest["files"] if f["role"] == "weights"} == {
        "pt": sha256(tiny_weights[0]), "onnx": sha256(tiny_weights[1])}
    assert manifest["evaluation"]["detection"] == {"mAP50": 0.62, "precision": 0.7}  # the run's last values
    assert manifest["evaluation"]["events"] == {"count_line.line_crossing.f1": 0.8}
