"""The canvas view of a spec, and what the canvas's replies do to the spec (the widget itself is faked by dicts)."""

from __future__ import annotations

from toy_blocks import toy_registry, toy_spec_dict

from workbench.apps.ui.canvas_model import apply_canvas_reply, canvas_view
from workbench.core.i18n import t
from workbench.engine.spec import parse_spec
from workbench.engine.validate import validate

REG = toy_registry()


def spec():
    return parse_spec(toy_spec_dict())


def without_track_edge():
    """The toy pipeline with trk.tracks -> rule.tracks removed."""
    s = spec()
    return s.model_copy(update={"edges": [e for e in s.edges if e.target != "rule.tracks"]})


def reply_from(view, **changes):
    """What the canvas sends back when the user changed nothing but `changes`."""
    reply = {"seq": 1, "revision": view["revision"], "action": "move", "selected": None, "target": None,
             "positions": {n["id"]: [n["x"], n["y"]] for n in view["nodes"]},
             "nodes": [n["id"] for n in view["nodes"]],
             "edges": [{k: e[k] for k in ("source", "sourceHandle", "target", "targetHandle")} for e in view["edges"]]}
    return reply | changes


def test_view_has_typed_ports_kind_colours_and_problem_badges():
    s = without_track_edge()
    view = canvas_view(s, REG, "zh", validate(s, REG), revision=3, selected="rule")
    rule = next(n for n in view["nodes"] if n["id"] == "rule")
    assert rule["inputs"] == [{"name": "tracks", "kind": "tracks", "required": True, "many": False, "missing": True}]
    assert rule["problems"] >= 1 and next(n for n in view["nodes"] if n["id"] == "src")["problems"] == 0
    assert view["kinds"]["tracks"]["label"] == "轨迹" and view["kinds"]["tracks"]["color"].startswith("#")
    assert "detections" in view["fits"]["tracks"] and "tracks" not in view["fits"]["detections"]
    assert view["revision"] == 3 and view["selected"] == "rule"
    assert view["nodes"][0]["is_source"] is True


def test_moving_nodes_only_updates_the_layout():
    s = spec()
    view = canvas_view(s, REG, "en", [], 1, None)
    edit = apply_canvas_reply(s, reply_from(view, positions={"src": [10, 20], "det": [300.26, 40]}), REG)
    assert edit.spec.layout["src"] == (10.0, 20.0) and edit.spec.layout["det"] == (300.3, 40.0)
    assert edit.spec.edges == s.edges and not edit.changed


def test_a_wrong_edge_drawn_on_the_canvas_is_refused_and_undone():
    s = without_track_edge()
    view = canvas_view(s, REG, "en", [], 1, None)
    bad = {"source": "det", "sourceHandle": "detections", "target": "rule", "targetHandle": "tracks"}
    edit = apply_canvas_reply(s, reply_from(view, action="connect", edges=[*view["edges"], bad]), REG)
    assert [p.code for p in edit.refused] == ["edge_kind"] and edit.rerender
    assert len(edit.spec.edges) == 3
    good = {"source": "trk", "sourceHandle": "tracks", "target": "rule", "targetHandle": "tracks"}
    edit = apply_canvas_reply(s, reply_from(view, action="connect", edges=[*view["edges"], good]), REG)
    assert not edit.refused and edit.changed and validate(edit.spec, REG) == []


def test_a_refusal_reported_by_the_browser_becomes_the_same_problem():
    s = spec()
    view = canvas_view(s, REG, "en", [], 1, None)
    refused = {"source": "det.detections", "target": "rule.tracks", "source_kind": "detections",
               "target_kind": "tracks", "reason": "kind"}
    edit = apply_canvas_reply(s, reply_from(view, action="refused", refused=refused), REG)
    assert [(p.code, p.node) for p in edit.refused] == [("edge_kind", "rule")]
    assert edit.spec.edges == s.edges and edit.spec.nodes == s.nodes


def test_deleting_on_the_canvas_removes_node_and_edges_and_duplicate_copies():
    s = spec()
    view = canvas_view(s, REG, "en", [], 1, "det")
    edit = apply_canvas_reply(s, reply_from(view, action="delete", nodes=["src", "trk", "rule", "sink"],
                                            edges=[e for e in view["edges"] if "det" not in (e["source"], e["target"])],
                                            selected="det"), REG)
    assert edit.spec.node("det") is None and edit.selected is None and edit.changed
    edit = apply_canvas_reply(s, reply_from(view, action="duplicate", target="rule", selected="rule"), REG)
    assert edit.spec.node("rule_2") is not None and edit.selected == "rule_2" and edit.rerender


def test_a_block_dropped_from_the_palette_lands_where_it_was_dropped_and_is_selected():
    s = spec()
    view = canvas_view(s, REG, "en", [], 1, None)
    edit = apply_canvas_reply(s, reply_from(view, action="add", added={"type": "sinks/toy@v1", "x": 512, "y": 64}),
                              REG)
    new = edit.selected
    assert new and edit.spec.node(new).type == "sinks/toy@v1" and edit.spec.layout[new] == (512.0, 64.0)
    assert edit.rerender and edit.changed
    clicked = apply_canvas_reply(s, reply_from(view, action="add", added={"type": "sinks/toy@v1", "x": None,
                                                                           "y": None}), REG)
    assert clicked.spec.node(clicked.selected) is not None, "a click adds it at a free place"
    unknown = apply_canvas_reply(s, reply_from(view, action="add", added={"type": "no/such@v1", "x": 1, "y": 1}), REG)
    assert [n.id for n in unknown.spec.nodes] == [n.id for n in s.nodes], "an unknown block is not added"


def test_the_palette_the_canvas_shows_is_grouped_translated_and_searchable():
    from workbench.apps.ui.palette import palette_view
    from workbench.core.registry import default_registry

    groups = palette_view(default_registry().describe(), "zh")
    assert [g["category"] for g in groups][:2] == ["sources", "detection"]
    line = next(b for g in groups for b in g["blocks"] if b["type"] == "rules/line_crossing@v1")
    assert line["title"] == t("block.rules/line_crossing.title", "zh") and "line" in line["search"]
