"""Editing a pipeline the way the canvas does: every edit gives a spec that validates the same as the CLI."""

from __future__ import annotations

import pytest
from toy_blocks import toy_registry, toy_spec_dict

from workbench.apps.ui import editor
from workbench.engine.spec import parse_spec, spec_from_yaml
from workbench.engine.validate import validate


@pytest.fixture
def reg():
    return toy_registry()


def built_by_hand(reg):
    """src -> det -> trk -> rule, made only with editor operations."""
    spec = editor.new_pipeline("hand")
    for type_id in ("sources/toy@v1", "detection/toy@v1", "tracking/toy@v1", "rules/toy@v1", "sinks/toy@v1"):
        spec, _ = editor.add_node(spec, type_id)
    spec = editor.connect(spec, "toy.frames", "toy_2.image", reg)
    spec = editor.connect(spec, "toy_2.detections", "toy_3.detections", reg)
    spec = editor.connect(spec, "toy_3.tracks", "toy_4.tracks", reg)
    return editor.connect(spec, "toy_4.events", "toy_5.events", reg)


def test_a_pipeline_built_from_edits_validates_and_round_trips(reg):
    spec = built_by_hand(reg)
    assert [n.id for n in spec.nodes] == ["toy", "toy_2", "toy_3", "toy_4", "toy_5"]
    assert validate(spec, reg) == []
    assert len({tuple(p) for p in spec.layout.values()}) == 5, "new nodes must not land on top of each other"
    assert spec_from_yaml(spec.to_yaml()) == spec


def test_wrong_kinds_are_refused_naming_both_kinds(reg):
    spec = built_by_hand(reg)
    spec = editor.disconnect(spec, "toy_3.tracks", "toy_4.tracks")
    with pytest.raises(editor.EditRefused) as refused:
        editor.connect(spec, "toy_2.detections", "toy_4.tracks", reg)
    problem = refused.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("edge_kind", "toy_4", "inputs.tracks")
    assert "detections" in problem.message("en") and "tracks" in problem.message("en")


def test_tracks_fit_a_detections_input_but_an_input_takes_one_edge(reg):
    spec = built_by_hand(reg)
    with pytest.raises(editor.EditRefused) as refused:
        editor.connect(spec, "toy_3.tracks", "toy_3.detections", reg)
    assert refused.value.problems[0].code == "cycle"
    spec, other = editor.add_node(spec, "detection/toy@v1")
    with pytest.raises(editor.EditRefused) as refused:
        editor.connect(spec, f"{other}.detections", "toy_3.detections", reg)
    assert refused.value.problems[0].code == "input_fed_twice"
    spec, extra = editor.add_node(spec, "tracking/toy@v1")
    spec = editor.connect(spec, "toy_3.tracks", f"{extra}.detections", reg)
    assert any(e.target == f"{extra}.detections" for e in spec.edges)


def test_unknown_port_is_refused(reg):
    spec = built_by_hand(reg)
    with pytest.raises(editor.EditRefused) as refused:
        editor.connect(spec, "toy.nope", "toy_2.image", reg)
    assert refused.value.problems[0].code == "edit_unknown_port"


def test_delete_removes_the_node_its_edges_and_position(reg):
    spec = editor.delete_node(built_by_hand(reg), "toy_3")
    assert spec.node("toy_3") is None and "toy_3" not in spec.layout
    assert all("toy_3" not in (e.source_node, e.target_node) for e in spec.edges)
    codes = {p.code for p in validate(spec, reg)}
    assert "missing_input" in codes


def test_duplicate_copies_settings_not_connections(reg):
    spec = parse_spec(toy_spec_dict())
    spec, copy = editor.duplicate_node(spec, "rule")
    assert copy == "rule_2"
    assert spec.node(copy).config == {"every": 3} and spec.node(copy).type == "rules/toy@v1"
    assert not any(copy in (e.source_node, e.target_node) for e in spec.edges)
    assert spec.layout[copy] != spec.layout.get("rule")


def test_rename_keeps_edges_and_layout(reg):
    spec = editor.rename_node(parse_spec(toy_spec_dict()), "det", "detector")
    assert {e.source for e in spec.edges} >= {"detector.detections"} and "detector" in spec.layout
    assert validate(spec, reg) == []
    with pytest.raises(editor.EditRefused):
        editor.rename_node(spec, "detector", "src")


def test_edits_never_change_the_spec_they_were_given(reg):
    spec = parse_spec(toy_spec_dict())
    before = spec.to_yaml()
    editor.delete_node(spec, "det")
    editor.move_nodes(spec, {"src": (5, 5)})
    editor.set_config(spec, "rule", {"every": 9})
    editor.duplicate_node(spec, "rule")
    assert spec.to_yaml() == before


def test_new_blocks_never_land_on_another_even_after_deletes(reg):
    spec = built_by_hand(reg)
    spec = editor.delete_node(spec, "toy_2")
    for _ in range(3):
        spec, _ = editor.add_node(spec, "detection/toy@v1")
    cells = list(spec.layout.values())
    for i, (x, y) in enumerate(cells):
        for ox, oy in cells[i + 1:]:
            assert abs(x - ox) >= 200 or abs(y - oy) >= 150, "two blocks overlap on the canvas"
    assert max(x for x, _ in cells) < 1200, "the pipeline wraps into rows instead of one long line"


def test_the_editor_and_validation_report_a_wrong_edge_alike(reg):
    """One connection rule: the refusal on the canvas is the problem validation gives for the same edge in a file."""
    from workbench.engine.spec import EdgeSpec
    from workbench.engine.validate import validate

    spec = editor.disconnect(built_by_hand(reg), "toy_3.tracks", "toy_4.tracks")
    with pytest.raises(editor.EditRefused) as refused:
        editor.connect(spec, "toy_2.detections", "toy_4.tracks", reg)
    typed = spec.model_copy(update={"edges": [*spec.edges, EdgeSpec.model_validate(
        {"from": "toy_2.detections", "to": "toy_4.tracks"})]})
    [found] = [p for p in validate(typed, reg) if p.code == "edge_kind"]
    assert refused.value.problems == [found]
