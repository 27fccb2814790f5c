"""The Build page in AppTest: palette, faked canvas replies (AppTest cannot see inside the component), problems
panel, save and reopen. The real canvas is driven in a browser by tests/e2e."""

from __future__ import annotations

import pytest
from ui_support import add_block, app_test, canvas_reply

from workbench.apps.ui.plain_text import as_plain_markdown
from workbench.core.i18n import t
from workbench.engine.spec import load_spec


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    at = app_test().run()
    assert not at.exception
    return at


def edge(source, target):
    (sn, sp), (tn, tp) = source.split("."), target.split(".")
    return {"source": sn, "sourceHandle": sp, "target": tn, "targetHandle": tp}


def test_palette_click_puts_the_block_on_the_canvas_and_selects_it(app):
    add_block(app, "sources/video_file@v1")
    draft = app.session_state["draft"]
    assert [n.type for n in draft.spec.nodes] == ["sources/video_file@v1"]
    assert draft.selected == "video_file"
    assert any("video_file" in p.value for p in app.text_input if p.value) or app.text_input(key="node_id_video_file")


def test_connections_from_the_canvas_are_kept_and_wrong_kinds_refused(app):
    for type_id in ("sources/video_file@v1", "detection/motion@v1", "rules/line_crossing@v1"):
        add_block(app, type_id)
    app.session_state["canvas"] = canvas_reply(app, action="connect",
                                               edges=[edge("video_file.frames", "motion.image")])
    app.run()
    assert [e.target for e in app.session_state["draft"].spec.edges] == ["motion.image"]
    bad = [edge("video_file.frames", "motion.image"), edge("motion.detections", "line_crossing.tracks")]
    app.session_state["canvas"] = canvas_reply(app, action="connect", edges=bad, seq=2)
    app.run()
    assert [e.target for e in app.session_state["draft"].spec.edges] == ["motion.image"]
    refusal = " ".join(e.value for e in app.error)
    assert "detections" in refusal and "tracks" in refusal


def test_problems_panel_lists_validation_and_selects_the_node(app):
    add_block(app, "rules/line_crossing@v1")
    add_block(app, "sinks/events_file@v1")
    problems = [b for b in app.button if b.key and b.key.startswith("problem_")]
    line_problem = next(b for b in problems if b.label.startswith(r"line\_crossing"))  # escaped for Markdown
    line_problem.click().run()
    assert app.session_state["draft"].selected == "line_crossing"


def test_save_and_reopen_keeps_the_pipeline(app, tmp_path):
    add_block(app, "sources/video_file@v1")
    add_block(app, "detection/motion@v1")
    app.session_state["canvas"] = canvas_reply(app, action="connect", positions={"video_file": [11, 22],
                                               "motion": [300, 40]}, edges=[edge("video_file.frames", "motion.image")])
    app.run()
    app.text_input(key="save_as_name").input("我的流水线").run()
    app.button(key="save_as").click().run()
    saved = tmp_path / "pipelines" / "我的流水线.yaml"
    spec = load_spec(saved)
    assert spec.layout["video_file"] == (11.0, 22.0) and [e.target for e in spec.edges] == ["motion.image"]
    app.button(key="new").click().run()
    assert app.session_state["draft"].spec.nodes == []
    app.selectbox(key="open_choice").select(t("app.build.mine", "zh") + " 我的流水线").run()
    app.button(key="open").click().run()
    assert app.session_state["draft"].spec == spec and not app.session_state["draft"].dirty


def test_templates_open_in_english_too(app):
    app.sidebar.selectbox(key="lang").select("en").run()
    assert app.title[0].value == "Build"
    options = app.selectbox(key="open_choice").options
    app.selectbox(key="open_choice").select(next(o for o in options if o.endswith(" vehicle_count_line"))).run()
    app.button(key="open").click().run()
    draft = app.session_state["draft"]
    assert draft.template == "vehicle_count_line" and len(draft.spec.nodes) >= 5


def test_the_header_says_saved_right_after_saving(app):
    """The header is drawn above the Save button: it must still describe the pipeline as it is after the click."""
    add_block(app, "sources/video_file@v1")
    assert app.caption[0].value.endswith(t("app.build.unsaved", "zh"))
    app.button(key="save").click().run()
    header = app.caption[0].value
    assert header.endswith(" · " + t("app.build.saved", "zh")) and header.startswith(r"**new\-pipeline**"), header


def test_a_rules_class_list_offers_only_the_classes_that_can_arrive(app):
    """The motion detector of this template only ever outputs "vehicle": offering "car" would count nothing."""
    options = app.selectbox(key="open_choice").options
    app.selectbox(key="open_choice").select(next(o for o in options if o.endswith(" vehicle_count_line"))).run()
    app.button(key="open").click().run()
    app.session_state["draft"].select("count_line")
    app.run()
    (classes,) = [m for m in app.multiselect if m.key and m.key.startswith("cfg_count_line_count_line.classes")]
    assert classes.options == ["vehicle"]


def test_the_source_video_is_picked_not_typed(app, tmp_path, monkeypatch):
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "gate.mp4").write_bytes(b"0")
    monkeypatch.setenv("WORKBENCH_FOOTAGE_DIRS", str(archive))
    add_block(app, "sources/video_file@v1")
    problems = [b.label for b in app.button if b.key and b.key.startswith("problem_")]
    assert any(t("problem.config_missing_source", "zh") in label for label in problems), problems
    app.radio(key="pick_video_file_kind").set_value("server").run()
    assert app.selectbox(key="pick_video_file_file").options == ["gate.mp4"]
    app.button(key="pick_video_file_use").click().run()
    assert app.session_state["draft"].spec.node("video_file").config["path"] == str((archive / "gate.mp4").resolve())
    problems = [b.label for b in app.button if b.key and b.key.startswith("problem_")]
    assert not any(as_plain_markdown("video_file.config.path") in label or as_plain_markdown("video_file.path") in label
                   for label in problems), problems


def test_a_first_visit_starts_with_template_cards_and_no_error(app):
    """A newcomer sees what to do (templates with their names in Chinese), not an empty canvas with an error."""
    assert not [b for b in app.button if b.key and b.key.startswith("problem_")]
    assert app.subheader[0].value == t("app.build.start", "zh")
    app.button(key="start_fire_lane_parking").click().run()
    draft = app.session_state["draft"]
    assert draft.template == "fire_lane_parking" and draft.spec.nodes
    assert not [s for s in app.subheader if s.value == t("app.build.start", "zh")], "the cards give way to the canvas"


def test_every_template_has_a_name_and_a_sentence_in_both_languages():
    from workbench.apps.ui import library
    from workbench.core.i18n import has

    for entry in (e for e in library.list_pipelines() if e.bundled):
        for part in ("title", "description"):
            assert has(f"template.{entry.name}.{part}"), (entry.name, part)
