"""The open pipeline: canvas replies apply once, stale ones are ignored, templates open as unsaved copies."""

from __future__ import annotations

import pytest
from toy_blocks import toy_registry, toy_spec_dict

from workbench.apps.ui import library
from workbench.apps.ui.canvas_model import canvas_view
from workbench.apps.ui.draft import Draft, open_draft
from workbench.engine.spec import parse_spec, save_spec

REG = toy_registry()


def reply(draft: Draft, **changes):
    view = canvas_view(draft.spec, REG, "en", [], draft.revision, draft.selected, draft=draft.id)
    base = {"seq": 1, "draft": view["draft"], "revision": draft.revision, "action": "move", "selected": None,
            "target": None,
            "positions": {n["id"]: [n["x"], n["y"]] for n in view["nodes"]},
            "nodes": [n["id"] for n in view["nodes"]],
            "edges": [{k: e[k] for k in ("source", "sourceHandle", "target", "targetHandle")} for e in view["edges"]]}
    return base | changes


def test_a_reply_applies_once_and_a_stale_one_is_ignored():
    draft = Draft(spec=parse_spec(toy_spec_dict()))
    moved = reply(draft, positions={"src": [500, 500]})
    assert draft.take_reply(moved, REG) and draft.spec.layout["src"] == (500.0, 500.0)
    assert not draft.take_reply(moved, REG), "the same reply must not apply twice"
    draft.add_block("sinks/toy@v1")  # Python changed the graph: the canvas gets a new revision
    stale = reply(draft, revision=draft.revision - 1, nodes=["src"])
    assert not draft.take_reply(stale, REG)
    assert draft.spec.node("det") is not None, "a reply drawn on an older graph must not delete nodes"


def test_a_reply_left_over_from_another_draft_is_never_applied():
    """Opening a pipeline starts a new draft at revision 1; the previous draft's last reply (also revision 1) is what
    Streamlit still returns for the canvas on the next rerun: it must not edit the newly opened pipeline."""
    old = Draft(spec=parse_spec(toy_spec_dict()))
    leftover = reply(old, nodes=["src"], edges=[])
    opened = Draft(spec=parse_spec(toy_spec_dict()))
    assert opened.revision == old.revision and opened.id != old.id
    assert not opened.take_reply(leftover, REG)
    assert [n.id for n in opened.spec.nodes] == [n.id for n in old.spec.nodes] and opened.spec.edges
    assert opened.take_reply(reply(opened, positions={"src": [9, 9]}), REG), "its own replies still apply"


def test_every_draft_is_drawn_under_its_own_id():
    a, b = Draft(spec=parse_spec(toy_spec_dict())), Draft(spec=parse_spec(toy_spec_dict()))
    view_a = canvas_view(a.spec, REG, "en", [], a.revision, a.selected, draft=a.id)
    view_b = canvas_view(b.spec, REG, "en", [], b.revision, b.selected, draft=b.id)
    assert view_a["draft"] != view_b["draft"] and view_a["revision"] == view_b["revision"]


def test_adding_a_block_selects_it_and_redraws():
    draft = Draft(spec=parse_spec(toy_spec_dict()))
    revision = draft.revision
    node_id = draft.add_block("rules/toy@v1")
    assert draft.selected == node_id and draft.revision == revision + 1 and draft.dirty


def test_templates_open_as_unsaved_copies_and_user_files_in_place(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    template = next(e for e in library.list_pipelines() if e.bundled)
    draft = open_draft(template)
    assert draft.name == "" and draft.template == template.name and draft.dirty
    path = library.save_pipeline(draft.spec, "mine")
    draft.mark_saved("mine")
    assert not draft.dirty
    entry = next(e for e in library.list_pipelines() if not e.bundled)
    assert (entry.name, entry.path) == ("mine", path)
    assert not open_draft(entry).dirty and open_draft(entry).spec == draft.spec


def test_saving_refuses_bad_names_and_save_as_never_overwrites(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    spec = parse_spec(toy_spec_dict())
    for bad in ("../escape", "a b", ""):
        with pytest.raises(library.PipelineInvalid) as refused:
            library.save_pipeline(spec, bad)
        assert refused.value.problems[0].code == "pipeline_file_name", bad
    library.save_pipeline(spec, "计数线")
    with pytest.raises(library.PipelineInvalid) as refused:
        library.save_pipeline(spec, "计数线", overwrite=False)
    assert refused.value.problems[0].code == "pipeline_exists"
    assert library.free_name("计数线") == "计数线_2"
    save_spec(spec, tmp_path / "pipelines" / "broken.yaml")
    (tmp_path / "pipelines" / "broken.yaml").write_text("nodes: [", encoding="utf-8")
    assert any(e.name == "broken" for e in library.list_pipelines()), "a broken file is still listed to be fixed"


def test_the_pipeline_name_follows_save_as_unless_staff_named_it():
    """Runs and evaluations list pipelines by meta.name: a new pipeline saved as "gate" must not stay "new-pipeline"."""
    draft = Draft(spec=parse_spec({**toy_spec_dict(), "meta": {"name": "new-pipeline"}}))
    draft.follow_file_name("gate")
    assert draft.spec.meta.name == "gate"
    draft.mark_saved("gate")
    draft.follow_file_name("gate_night")  # save as again: it was the automatic name, it follows
    assert draft.spec.meta.name == "gate_night"
    named = Draft(spec=parse_spec({**toy_spec_dict(), "meta": {"name": "new-pipeline"}}))
    named.change(named.spec.model_copy(update={"meta": named.spec.meta.model_copy(update={"name": "东门计数"})}))
    named.follow_file_name("gate")
    assert named.spec.meta.name == "东门计数", "a name staff typed is theirs"
