"""The pipeline YAML format: loads, keeps every key through load -> save, reports shape errors by node and field."""

from __future__ import annotations

import pytest
import yaml
from toy_blocks import toy_spec_dict

from workbench.core.errors import PipelineInvalid
from workbench.engine.spec import load_spec, save_spec, spec_from_yaml


def test_round_trip_keeps_everything(tmp_path):
    data = toy_spec_dict()
    data["meta"]["site"] = "gate 3"  # unknown meta keys survive
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    spec = load_spec(path)
    save_spec(spec, tmp_path / "q.yaml")
    again = yaml.safe_load((tmp_path / "q.yaml").read_text())
    assert again == data
    assert list(again) == ["version", "meta", "nodes", "edges", "layout"]
    assert load_spec(tmp_path / "q.yaml") == spec


def test_chinese_text_round_trips(tmp_path):
    data = toy_spec_dict()
    data["meta"]["description"] = "渣土车出场监测"
    spec = spec_from_yaml(yaml.safe_dump(data, allow_unicode=True))
    save_spec(spec, tmp_path / "p.yaml")
    assert "渣土车出场监测" in (tmp_path / "p.yaml").read_text(encoding="utf-8")


def test_missing_file_is_a_problem_not_a_traceback(tmp_path):
    with pytest.raises(PipelineInvalid) as err:
        load_spec(tmp_path / "nope.yaml")
    assert err.value.problems[0].code == "spec_missing"
    assert "nope.yaml" in err.value.problems[0].message()


@pytest.mark.parametrize("text", ["", "  \n", "# a pipeline, one day\n"])
def test_an_empty_pipeline_says_it_is_empty_and_where_to_start(text):
    with pytest.raises(PipelineInvalid) as err:
        spec_from_yaml(text, origin="new.yaml")
    (problem,) = err.value.problems
    assert problem.code == "spec_empty"
    assert "new.yaml is empty" in problem.message("en") and "ls pipelines/" in problem.message("en")
    assert "空文件" in problem.message("zh")


@pytest.mark.parametrize("text", ["version: 1\nmeta: {name: x}\n", "version: 1\nmeta: {name: x}\nnodes:\nedges: []\n"])
def test_a_pipeline_without_nodes_says_so_and_how_to_add_them(text):
    with pytest.raises(PipelineInvalid) as err:
        spec_from_yaml(text, origin="p.yaml")
    (problem,) = err.value.problems
    assert (problem.code, problem.field) == ("spec_no_nodes", "nodes")
    assert "Add `nodes:`" in problem.message("en") and "sources/video_file@v1" in problem.message("zh")


def test_broken_yaml_names_the_line():
    with pytest.raises(PipelineInvalid) as err:
        spec_from_yaml("version: 1\nmeta: {name: x\nnodes: []\n", origin="bad.yaml")
    problem = err.value.problems[0]
    assert problem.code == "spec_yaml"
    assert "bad.yaml" in problem.message() and "line" in problem.message()


def test_shape_errors_name_node_and_field():
    data = toy_spec_dict()
    data["nodes"][1]["confg"] = {}  # typo
    data["nodes"][2]["id"] = "bad id"
    data["edges"][0]["from"] = "src"  # no port
    with pytest.raises(PipelineInvalid) as err:
        spec_from_yaml(yaml.safe_dump(data))
    where = {(p.node, p.field) for p in err.value.problems}
    assert ("det", "confg") in where
    assert ("bad id", "id") in where
    assert (None, "edges.0.from") in where


def test_unknown_spec_version_refused():
    data = toy_spec_dict()
    data["version"] = 2
    with pytest.raises(PipelineInvalid) as err:
        spec_from_yaml(yaml.safe_dump(data))
    assert err.value.problems[0].field == "version"
