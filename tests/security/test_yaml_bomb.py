"""YAML from another district is read through workbench.core.safe_yaml: anchors and aliases (the "billion laughs" bomb),
oversized text and deep nesting are refused before any data is built, with a message naming file, line and column
and saying what to write instead. Before, a 394-byte pipeline took 59 s and 1.9 GB in `workbench validate`."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.core.errors import PipelineInvalid, WorkbenchError
from workbench.core.safe_yaml import MAX_YAML_DEPTH, YamlRefused, YamlSyntaxError, load_yaml_text
from workbench.engine.spec import MAX_PIPELINE_BYTES, NodeSpec, PipelineSpec, load_spec, spec_from_yaml

ROOT = Path(__file__).parents[2]
# Five levels of nine aliases each: 9^5 = 59,049 copies of the innermost list once expanded.
BOMB = """version: 1
meta: {name: bomb}
nodes: []
x1: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
x2: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
x3: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
x4: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
x5: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
"""


@pytest.fixture
def english(monkeypatch):
    monkeypatch.setenv("WORKBENCH_LANG", "en")


def test_alias_bomb_given_to_validate_fails_fast_without_a_traceback(tmp_path, english, capsys):
    from workbench.apps.cli import main

    bomb = tmp_path / "shared.yaml"
    bomb.write_text(BOMB, encoding="utf-8")
    started = time.monotonic()
    code = main(["validate", str(bomb)])
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 1 and elapsed < 2.0, (code, elapsed)
    assert f"{bomb} line 4, column 5" in err and "&a" in err and "Write the values out in full" in err
    assert "Traceback" not in err


def test_alias_bomb_as_a_user_runs_it(tmp_path):
    bomb = tmp_path / "shared.yaml"
    bomb.write_text(BOMB, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "workbench.apps.cli", "--lang", "zh", "validate", str(bomb)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "第 4 行第 5 列" in done.stderr and "&a" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("text", "line", "column", "name"), [
    ("a: &x 1\n", 1, 4, "&x"),  # an anchor alone is refused too: nothing the workbench writes has one
    ("a: 1\nb:\n  - *x\n", 3, 5, "*x"),  # an alias to nothing is not a syntax error but the same refusal
    ("base: &base {k: 1}\nmore:\n  <<: *base\n", 1, 7, "&base"),  # merge keys need an alias
])
def test_anchors_and_aliases_are_refused_naming_line_and_column(text, line, column, name):
    with pytest.raises(YamlRefused) as err:
        load_yaml_text(text, origin="cams.yaml")
    problem = err.value.problems[0]
    assert problem.code == "yaml_alias"
    assert problem.params == {"path": "cams.yaml", "line": line, "column": column, "name": name}
    assert "cams.yaml" in problem.message("zh") and name in problem.message("zh")


def test_ordinary_yaml_reads_as_safe_load_would():
    text = "a: [1, 2.5, null, true]\nb: {c: 名字, d: '2024-01-01'}\nwhen: 2024-01-01\n"
    import yaml

    assert load_yaml_text(text, origin="x") == yaml.safe_load(text)
    assert load_yaml_text("", origin="x") is None


def test_text_over_the_cap_is_refused_before_parsing():
    with pytest.raises(YamlRefused) as err:
        load_yaml_text("a: " + "x" * 200, origin="form", max_bytes=100)
    assert err.value.problems[0].code == "yaml_too_big"
    assert err.value.problems[0].params == {"path": "form", "size": 203, "limit": 100}
    with pytest.raises(YamlRefused):  # counted in UTF-8 bytes, not characters
        load_yaml_text("名" * 40, origin="form", max_bytes=100)


def test_deep_nesting_is_refused_not_a_recursion_error():
    with pytest.raises(YamlRefused) as err:
        load_yaml_text("[" * 10_000 + "]" * 10_000, origin="deep.yaml")
    assert err.value.problems[0].code == "yaml_too_deep" and err.value.problems[0].params["limit"] == MAX_YAML_DEPTH
    assert load_yaml_text("[" * 20 + "]" * 20, origin="ok") is not None


def test_unreadable_values_are_problems_not_exceptions():
    with pytest.raises(YamlSyntaxError):  # Python refuses integers of more than 4300 digits (ValueError)
        load_yaml_text("a: " + "9" * 5000, origin="x")
    with pytest.raises(YamlSyntaxError):
        load_yaml_text("a: !!python/object/apply:os.system [ls]", origin="x")


def test_a_pipeline_file_over_the_cap_is_refused_without_reading_it_all(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("w", encoding="utf-8") as f:
        f.write("version: 1\nmeta: {name: big}\nnodes: []\n")
        f.write("# " + "x" * (MAX_PIPELINE_BYTES + 10) + "\n")
    with pytest.raises(PipelineInvalid) as err:
        load_spec(big)
    problem = err.value.problems[0]
    assert problem.code == "yaml_too_big" and problem.params["limit"] == MAX_PIPELINE_BYTES
    assert problem.params["size"] == big.stat().st_size
    with pytest.raises(PipelineInvalid) as err:  # the YAML box and uploads: the same cap
        spec_from_yaml(big.read_text(encoding="utf-8"), origin="upload.yaml")
    assert err.value.problems[0].code == "yaml_too_big"


def test_bad_pipeline_yaml_keeps_its_problem_code():
    with pytest.raises(PipelineInvalid) as err:
        spec_from_yaml("version: 1\nmeta: {name: x\nnodes: []\n", origin="p.yaml")
    problem = err.value.problems[0]
    assert problem.code == "spec_yaml" and problem.params["line"] == 3 and "column" in problem.params["detail"]


def test_what_the_workbench_writes_it_reads_back():
    """A value used twice is written out twice (safe_dump would write &id001 / *id001, which is refused)."""
    shared = [[10, 10], [100, 10], [100, 100]]
    spec = PipelineSpec(meta={"name": "twice"}, nodes=[
        NodeSpec(id="a", type="rules/dwell@v1", config={"polygon": shared}),
        NodeSpec(id="b", type="rules/dwell@v1", config={"polygon": shared})])
    text = spec.to_yaml()
    assert "&" not in text and "*" not in text
    assert spec_from_yaml(text).nodes[1].config["polygon"] == shared


def test_cameras_file_with_aliases_is_refused(tmp_path):
    from workbench.features.streams.cameras import load_serve_file

    cams = tmp_path / "cameras.yaml"
    cams.write_text("pipeline: p.yaml\ncameras:\n  - &cam {id: a, url: 'rtsp://h/1'}\n  - *cam\n", encoding="utf-8")
    with pytest.raises(WorkbenchError) as err:
        load_serve_file(cams)
    assert err.value.problems[0].code == "yaml_alias" and err.value.problems[0].params["path"] == str(cams)
    cams.write_text("pipeline: [p.yaml\n", encoding="utf-8")
    with pytest.raises(WorkbenchError) as err:
        load_serve_file(cams)
    assert err.value.problems[0].code == "serve_file_invalid" and "line 2" in err.value.problems[0].params["detail"]


def test_data_yaml_with_aliases_is_refused(tmp_path):
    from workbench.apps.ui.train_view import read_dataset
    from workbench.features.evaluation.detection import dataset_classes
    from workbench.features.training.dataset_check import read_data_yaml

    data = tmp_path / "data.yaml"
    data.write_text("names: &n [car, bus]\ntrain: images/train\nval: images/val\nmore: *n\n", encoding="utf-8")
    for read in (dataset_classes, read_data_yaml):
        with pytest.raises(WorkbenchError) as err:
            read(data)
        assert err.value.problems[0].code == "yaml_alias" and err.value.problems[0].params["line"] == 1
    assert read_dataset(data) is None  # the Train page simply does not offer it


def test_a_form_value_with_aliases_is_refused():
    from workbench.apps.ui.field_values import FieldSpec, FormInputError, from_widget

    spec = FieldSpec(name="headers", widget="yaml", default={})
    with pytest.raises(FormInputError) as err:
        from_widget(spec, "a: &x [1, 2]\nb: *x\n")
    assert err.value.problem is not None and err.value.problem.code == "yaml_alias"
    assert "headers" in err.value.problem.message("en")
    assert from_widget(spec, "a: [1, 2]\n") == {"a": [1, 2]}


def test_operator_policy_file_with_aliases_is_refused(tmp_path, monkeypatch):
    from workbench.core.policy import operator_policy

    policy = tmp_path / "policy.yaml"
    policy.write_text("webhook_hosts: &h [a.example]\nstream_hosts: *h\n", encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_POLICY", str(policy))
    with pytest.raises(WorkbenchError) as err:
        operator_policy()
    assert err.value.problems[0].code == "yaml_alias"
