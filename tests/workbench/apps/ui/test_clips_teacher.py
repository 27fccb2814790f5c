"""The Clips page pre-labels with any zoo model, the bundled NanoDet too, through a class table (project class <- the
model's classes, lowest confidence), in Chinese and English; a push says what the model's pre-labels were worth.
The push itself goes to a real Label Studio (slow)."""

from __future__ import annotations

from pathlib import Path

import pytest
from real_clip_support import real_clip
from services.labelstudio import labelstudio  # noqa: F401  (the module's server fixture)
from streamlit.testing.v1 import AppTest
from ui_support import as_user

from workbench.apps.ui import clips_view as view
from workbench.core.errors import Problem
from workbench.core.i18n import t
from workbench.features.finetune import sampling
from workbench.features.finetune.clips import ClipLibrary
from workbench.features.labeling.client import connect

TEACHER = "nanodet-m-416"


def _page() -> None:
    from workbench.apps.ui.pages.clips import clips_page

    clips_page()


def _app(lang: str) -> AppTest:
    at = as_user(AppTest.from_function(_page, default_timeout=180))
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


def _row(at: AppTest, cls: str):
    return at.multiselect(key=f"clips_map::{TEACHER}::{cls}")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    return tmp_path / "home"


def test_rows_map_the_models_classes_and_a_class_in_two_rows_is_refused():
    rows = {"muck_truck": ["truck", "bus"], "car": ["car"]}
    table = view.mapping_from_rows(rows, {"muck_truck": 0.5, "car": 0.3}, TEACHER)
    assert table["mapping"] == {"truck": "muck_truck", "bus": "muck_truck", "car": "car"}
    assert table["class_conf"] == {"truck": 0.5, "bus": 0.5, "car": 0.3} and not table["problems"]
    (twice,) = view.mapping_from_rows({"muck_truck": ["truck"], "car": ["truck"]}, {}, TEACHER, "zh")["problems"]
    assert twice.code == "teacher_map_twice" and "truck" in twice.message("zh")
    (empty,) = view.mapping_from_rows({"muck_truck": [], "car": []}, {}, TEACHER)["problems"]
    assert empty.code == "teacher_map_empty"
    assert view.default_sources("Car", ["person", "car"]) == ["car"] and view.default_sources("muck", ["car"]) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_class_table_offers_the_models_classes_and_names_problems(home, lang):
    at = _app(lang)
    at.text_area(key="clips_classes").input("muck_truck\ncar").run()
    at.selectbox(key="clips_push_model").set_value(TEACHER).run()
    assert not at.exception, at.exception
    assert t("app.clips.map_title", lang) in " ".join(_texts(at.markdown))
    assert _row(at, "car").value == ["car"] and _row(at, "muck_truck").value == []  # same name first
    assert "truck" in _row(at, "muck_truck").options and len(_row(at, "car").options) == 80
    assert not _texts(at.error)

    _row(at, "muck_truck").set_value(["truck", "car"]).run()  # car in two rows
    option = t("app.clips.map_title", lang)
    twice = Problem("teacher_map_twice", params={"option": option, "name": "car", "targets": "muck_truck, car"})
    assert twice.message(lang) in _texts(at.error)
    assert at.button(key="clips_push").disabled

    _row(at, "muck_truck").set_value([]).run()
    _row(at, "car").set_value([]).run()
    empty = Problem("teacher_map_empty", params={"option": option, "model": TEACHER, "known": "muck_truck, car"})
    assert empty.message(lang) in _texts(at.error)


def test_the_dataset_tab_adds_a_pseudo_labelled_part(home, vtest_video, tmp_path):
    from workbench.features.labeling.pseudo import pseudo_label
    from workbench.features.labeling.teacher import open_teacher

    clip = ClipLibrary().import_clip(real_clip(tmp_path / "clip", seconds=2.2)[0])
    part = pseudo_label([clip.id], open_teacher(TEACHER, conf=0.35), {"car": "car", "truck": "van"}, ["car", "van"])
    (choice,) = view.pseudo_parts()
    assert (choice.version, choice.images, choice.clips) == (part.version, 3, [clip.id])
    at = _app("zh")
    at.multiselect(key="clips_ds_pseudo").set_value([part.version]).run()
    at.button(key="clips_build").click().run()
    assert not at.exception, at.exception
    (version,) = [d.name for d in (home / "datasets").iterdir() if d.name != "pseudo"]
    assert t("app.clips.ds_built", "zh", version=version) in _texts(at.success)
    assert t("app.clips.ds_pseudo_used", "zh", images=3, replaced=0) in _texts(at.caption)


def test_the_dataset_tab_has_the_teacher_label_whole_clips_and_offers_the_part_at_once(home, vtest_video, tmp_path):
    clip = ClipLibrary().import_clip(real_clip(tmp_path / "clip", seconds=2.2)[0])
    at = _app("zh")
    assert t("app.clips.pseudo_no_classes", "zh") in _texts(at.info)
    assert at.multiselect(key="clips_ds_val").placeholder == "暂无可选项"  # not Streamlit's English default
    at.text_area(key="clips_classes").input("car\nvan").run()
    assert at.button(key="clips_pseudo_make").disabled  # no clip, no teacher yet
    at.multiselect(key="clips_pseudo_clips").set_value([clip.id]).run()
    at.selectbox(key="clips_pseudo_model").set_value(TEACHER).run()
    assert t("app.clips.pseudo_classes", "zh", classes="car, van") in _texts(at.caption)
    at.multiselect(key=f"clips_pseudo_map::{TEACHER}::van").set_value(["truck"]).run()
    at.number_input(key=f"clips_pseudo_map_conf::{TEACHER}::car").set_value(0.35).run()
    at.button(key="clips_pseudo_make").click().run()
    assert not at.exception, at.exception
    assert not _texts(at.error), _texts(at.error)
    (choice,) = view.pseudo_parts()
    assert choice.clips == [clip.id] and choice.images == 3  # 2.2 s, one frame a second
    assert choice.label() in at.multiselect(key="clips_ds_pseudo").options
    (made,) = [m for m in _texts(at.success) if choice.version in m]
    assert made.startswith(f"伪标注数据 {choice.version}：3 帧")


@pytest.mark.slow
def test_a_push_pre_labels_with_nanodet_through_the_table_and_says_what_it_was_worth(labelstudio,  # noqa: F811
                                                                                      vtest_video, monkeypatch):
    ls = labelstudio
    monkeypatch.setenv("WORKBENCH_HOME", str(ls.document_root))  # frames under the server's document root
    monkeypatch.setenv("LABEL_STUDIO_URL", ls.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls.token)
    video, _ = real_clip(ls.document_root / "source", seconds=2.2)
    clip = ClipLibrary().import_clip(video)
    sampling.extract([sampling.FrameRef(clip.id, i, i / 25, "uniform") for i in (0, 25, 50)])

    at = _app("en")
    at.text_input(key="clips_project").input("street").run()
    at.text_area(key="clips_classes").input("car\nvan\nbus").run()
    at.selectbox(key="clips_push_model").set_value(TEACHER).run()
    _row(at, "van").set_value(["truck"]).run()
    for cls, conf in (("car", 0.35), ("van", 0.5), ("bus", 0.35)):
        at.number_input(key=f"clips_map_conf::{TEACHER}::{cls}").set_value(conf).run()
    at.button(key="clips_push").click().run()
    assert not at.exception, at.exception
    assert not _texts(at.error), _texts(at.error)
    assert t("app.clips.pushed", "en", project="street", created=3, skipped=0, predictions=3) in _texts(at.success)
    assert any(c.startswith(f"The model {TEACHER}@") and "8 box(es)" in c for c in _texts(at.caption))
    client = connect(ls.url, ls.token)
    project = next(p for p in client.projects.list() if p.title == "street")
    tasks = list(client.tasks.list(project=project.id, fields="all"))
    labels = sorted(r["value"]["rectanglelabels"][0] for task in tasks for r in task.predictions[0].result)
    assert labels == ["bus", "bus", "car", "car", "car", "van", "van", "van"]

    at.text_input(key="clips_project").input("street people").run()  # a model that finds none of these classes
    at.text_area(key="clips_classes").input("cyclist").run()
    _row(at, "cyclist").set_value(["bicycle"]).run()
    at.button(key="clips_push").click().run()
    assert not at.exception, at.exception
    (warning,) = _texts(at.warning)
    assert "cyclist" in warning and "person (" in warning and "--map" in warning
    assert t("app.clips.pushed", "en", project="street people", created=3, skipped=0, predictions=0) in _texts(
        at.success)
