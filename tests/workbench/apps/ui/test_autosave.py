"""Unsaved work in the Build page survives a refresh: written to the workbench home, offered back, never overwritten
while it is being offered."""

from __future__ import annotations

import pytest
from toy_blocks import toy_spec_dict
from ui_support import add_block, app_test

from workbench.apps.ui import autosave
from workbench.apps.ui.draft import Draft
from workbench.apps.ui.pages.build import local_time
from workbench.apps.ui.plain_text import as_plain_markdown
from workbench.core.i18n import t
from workbench.engine.spec import parse_spec


def test_unsaved_work_is_kept_and_found_again(tmp_path):
    draft = Draft(spec=parse_spec(toy_spec_dict()), template="vehicle_count_line")
    assert autosave.keep(draft, home=tmp_path)
    assert not autosave.keep(draft, home=tmp_path), "nothing new: no write"
    found = autosave.find(home=tmp_path)
    assert found is not None and found.draft.spec == draft.spec and found.draft.template == "vehicle_count_line"
    assert found.draft.dirty and found.draft.id != draft.id, "a restored draft is a new drawing on the canvas"
    draft.mark_saved("mine")
    autosave.keep(draft, home=tmp_path)
    assert autosave.find(home=tmp_path) is None, "saved work leaves nothing to restore"


def test_an_unreadable_autosave_is_ignored(tmp_path):
    path = autosave.autosave_path(home=tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    assert autosave.find(home=tmp_path) is None


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    return tmp_path


def test_a_new_session_offers_the_unsaved_pipeline_back(home):
    first = app_test().run()
    add_block(first, "sources/video_file@v1")
    add_block(first, "detection/motion@v1")
    kept = autosave.find()
    assert kept is not None  # written while working, before any save

    again = app_test().run()  # a browser refresh: a new session
    offer = t("app.build.autosave_found", "zh", name=as_plain_markdown("new-pipeline"),  # a name is escaped
              time=local_time(kept.saved_at), nodes=2)
    assert [w.value for w in again.warning] == [offer]
    assert again.session_state["draft"].spec.nodes == [], "nothing is replaced before the user says so"
    add_block(again, "sinks/events_file@v1")
    assert len(autosave.find().draft.spec.nodes) == 2, "work being offered back is never overwritten"
    again.button(key="autosave_restore").click().run()
    assert [n.id for n in again.session_state["draft"].spec.nodes] == ["video_file", "motion"]


def test_discarding_the_offer_removes_it(home):
    first = app_test().run()
    add_block(first, "sources/video_file@v1")
    again = app_test().run()
    again.button(key="autosave_discard").click().run()
    assert autosave.find() is None and not again.warning


def test_the_language_is_taken_from_the_address_and_kept_there(home):
    at = app_test()
    at.query_params["lang"] = "en"
    at.run()
    assert at.title[0].value == "Build"
    at.sidebar.selectbox(key="lang").select("zh").run()
    assert at.title[0].value == t("app.build.title", "zh") and at.query_params["lang"] == "zh"
