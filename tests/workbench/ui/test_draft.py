"""The open pipeline: canvas replies apply once, stale ones are ignored, templates open as unsaved copies."""

from __future__ import annotations

from toy_blocks import toy_registry, toy_spec_dict

from workbench.spec import parse_spec, save_spec
from workbench.ui import library
from workbench.ui.canvas_model import canvas_view
from workbench.ui.draft import Draft, open_draft

REG = toy_registry()


def reply(draft: Draft, **changes):
    view = canvas_view(draft.spec, REG, "en", [], draft.revision, draft.selected)
    base = {"seq": 1, "revision": draft.revision, "action": "move", "selected": None, "target": None,
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
        try:
            library.save_pipeline(spec, bad)
        except library.PipelineInvalid as exc:
            assert exc.problems[0].code == "pipeline_file_name"
        else:
            raise AssertionError(f"{bad!r} was accepted")
    library.save_pipeline(spec, "计数线")
    try:
        library.save_pipeline(spec, "计数线", overwrite=False)
    except library.PipelineInvalid as exc:
        assert exc.problems[0].code == "pipeline_exists"
    else:
        raise AssertionError("save as overwrote an existing pipeline")
    assert library.free_name("计数线") == "计数线_2"
    save_spec(spec, tmp_path / "pipelines" / "broken.yaml")
    (tmp_path / "pipelines" / "broken.yaml").write_text("nodes: [", encoding="utf-8")
    assert any(e.name == "broken" for e in library.list_pipelines()), "a broken file is still listed to be fixed"
