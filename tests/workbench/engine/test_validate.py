"""`validate` finds every problem at once and names node and field."""

from __future__ import annotations

from toy_blocks import toy_registry, toy_spec_dict

from workbench.engine.spec import parse_spec
from workbench.engine.validate import errors_only, validate


def problems_of(data):
    return validate(parse_spec(data), toy_registry())


def codes(problems):
    return sorted((p.code, p.node, p.field) for p in problems)


def test_valid_pipeline_has_no_problems():
    assert problems_of(toy_spec_dict()) == []


def test_unknown_block_suggests_closest_names():
    data = toy_spec_dict()
    data["nodes"][3]["type"] = "rules/tyo@v1"
    [problem] = [p for p in problems_of(data) if p.code == "unknown_block"]
    assert (problem.node, problem.field) == ("rule", "type")
    assert "rules/toy@v1" in problem.message()


def test_wrong_version_suggests_the_existing_one():
    data = toy_spec_dict()
    data["nodes"][3]["type"] = "rules/toy@v7"
    [problem] = [p for p in problems_of(data) if p.code == "unknown_block"]
    assert "rules/toy@v1" in problem.message()


def test_bad_config_value_names_the_field():
    data = toy_spec_dict()
    data["nodes"][3]["config"] = {"every": 0, "colour": "red"}
    problems = problems_of(data)
    found = codes(problems)
    assert ("config_greater_than_equal", "rule", "config.every") in found
    assert ("config_extra_forbidden", "rule", "config.colour") in found
    every = next(p for p in problems if p.field == "config.every")
    assert "1" in every.message("en") and "1" in every.message("zh") and "不能小于" in every.message("zh")


def test_a_block_own_check_keeps_its_explanation():
    data = toy_spec_dict()
    data["nodes"][0]["config"] = {"frames": "many"}
    [problem] = [p for p in problems_of(data) if p.node == "src"]
    assert problem.code == "config_int_parsing" and "整数" in problem.message("zh")


def test_wrong_kind_names_both_kinds():
    data = toy_spec_dict()
    data["edges"][1] = {"from": "src.frames", "to": "trk.detections"}
    problems = problems_of(data)
    [kind] = [p for p in problems if p.code == "edge_kind"]
    assert (kind.node, kind.field) == ("trk", "inputs.detections")
    assert "'image'" in kind.message() and "'detections'" in kind.message()


def test_tracks_fit_a_detections_input_but_not_the_reverse():
    data = toy_spec_dict()
    data["nodes"].append({"id": "trk2", "type": "tracking/toy@v1", "config": {}})
    data["edges"].append({"from": "trk.tracks", "to": "trk2.detections"})
    assert problems_of(data) == []
    data["edges"][2] = {"from": "det.detections", "to": "rule.tracks"}
    assert [p.code for p in problems_of(data)] == ["edge_kind"]


def test_missing_required_input_and_unreachable_node():
    data = toy_spec_dict()
    data["edges"] = [e for e in data["edges"] if e["to"] != "trk.detections"]
    found = codes(problems_of(data))
    assert ("missing_input", "trk", "inputs.detections") in found
    assert ("unreachable", "trk", None) in found
    assert ("unreachable", "sink", None) in found


def test_unknown_port_lists_the_real_ones():
    data = toy_spec_dict()
    data["edges"][0] = {"from": "src.frame", "to": "det.image"}
    [p] = [p for p in problems_of(data) if p.code == "edge_unknown_port"]
    assert p.node == "src" and "frames" in p.message()


def test_cycle_is_named():
    data = toy_spec_dict()
    data["nodes"].append({"id": "trk2", "type": "tracking/toy@v1", "config": {}})
    data["edges"] += [{"from": "trk.tracks", "to": "trk2.detections"}]
    data["edges"][1] = {"from": "trk2.tracks", "to": "trk.detections"}
    problems = problems_of(data)
    [cycle] = [p for p in problems if p.code == "cycle"]
    assert "trk" in cycle.message() and "trk2" in cycle.message()


def test_no_source_and_duplicate_ids_and_input_fed_twice():
    data = toy_spec_dict()
    data["nodes"] = [*data["nodes"][1:], dict(data["nodes"][1])]
    data["edges"] = [*data["edges"][1:], {"from": "det.detections", "to": "trk.detections"}]
    found = {p.code for p in problems_of(data)}
    assert {"no_source", "duplicate_node", "input_fed_twice"} <= found


def test_every_problem_is_reported_at_once():
    data = toy_spec_dict()
    data["nodes"][1]["type"] = "detection/nope@v1"
    data["nodes"][3]["config"] = {"every": -1}
    data["edges"].append({"from": "ghost.events", "to": "sink.events"})
    found = {p.code for p in problems_of(data)}
    assert {"unknown_block", "config_greater_than_equal", "edge_unknown_node"} <= found


def test_layout_of_unknown_node_is_only_a_warning():
    data = toy_spec_dict()
    data["layout"]["ghost"] = [1, 2]
    problems = problems_of(data)
    assert [p.code for p in problems] == ["layout_unknown_node"]
    assert errors_only(problems) == []


def test_messages_exist_in_both_languages():
    data = toy_spec_dict()
    data["nodes"][3]["type"] = "rules/tyo@v1"
    [p] = problems_of(data)
    assert p.message("en") != p.message("zh")
    assert "rules/tyo@v1" in p.message("zh")


def test_site_settings_pending_from_an_import_are_warnings_naming_node_and_field():
    from pathlib import Path

    from workbench.core.registry import default_registry
    from workbench.engine.spec import load_spec

    data = load_spec(Path(__file__).resolve().parents[3] / "pipelines" / "vehicle_count_line.yaml").to_dict()
    data["meta"].update(origin="haidian/gate-count@1.0.0", site_pending={"count_line": ["start", "end"]})
    problems = validate(parse_spec(data), default_registry())
    pending = [(p.code, p.node, p.field, p.severity) for p in problems if p.code == "site_pending"]
    assert pending == [("site_pending", "count_line", "start", "warning"), ("site_pending", "count_line", "end",
                                                                            "warning")]
    assert errors_only(problems) == []  # it runs; the user is told, not stopped
    assert "haidian/gate-count@1.0.0" in problems[-1].message("en")


def test_a_missing_setting_says_how_it_is_given():
    """A video source's file is chosen, a counting line is drawn: "draw it on the frame" for a video is wrong."""
    from workbench.core.registry import default_registry

    spec = parse_spec({"version": 1, "meta": {"name": "x"}, "edges": [{"from": "v.frames", "to": "l.tracks"}],
                       "nodes": [{"id": "v", "type": "sources/video_file@v1", "config": {}},
                                 {"id": "l", "type": "rules/line_crossing@v1", "config": {}}]})
    codes = {p.where(): p.code for p in validate(spec, default_registry()) if p.code.startswith("config_missing")}
    assert codes == {"v.config.path": "config_missing_source", "l.config.start": "config_missing_drawn",
                     "l.config.end": "config_missing_drawn"}


def test_a_source_file_that_is_not_on_this_machine_is_a_warning(tmp_path):
    from workbench.core.registry import default_registry

    spec = parse_spec({"version": 1, "meta": {"name": "x"}, "edges": [],
                       "nodes": [{"id": "v", "type": "sources/video_file@v1",
                                  "config": {"path": str(tmp_path / "gone.mp4")}}]})
    (problem,) = validate(spec, default_registry())
    assert (problem.code, problem.where(), problem.severity) == ("source_file_missing", "v.path", "warning")
    (tmp_path / "gone.mp4").write_bytes(b"0")
    assert validate(spec, default_registry()) == []
