"""The "Clips & labels" page, in Chinese and English: import, list, sample, extract, remove; Label Studio and the
dataset build without a server say what is wrong in the page's language."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import pytest
from streamlit.testing.v1 import AppTest
from ui_support import as_user

from workbench.apps.ui import clips_view
from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import t
from workbench.features.finetune import sampling
from workbench.features.finetune.clips import ClipLibrary
from workbench.features.synth import generate, get

LANGS = ["zh", "en"]


def _page() -> None:
    from workbench.apps.ui.pages.clips import clips_page

    clips_page()


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    """A 4 s synthetic street clip (25 fps, 640x360): 100 frames."""
    return generate(dataclasses.replace(get("traffic"), duration=4.0), tmp_path_factory.mktemp("clip")).video


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty workbench home and no Label Studio configured."""
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    return tmp_path / "home"


def _app(lang: str) -> AppTest:
    at = as_user(AppTest.from_function(_page, default_timeout=120))
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


def _import_path(at: AppTest, path: Path | str, **fields: str) -> AppTest:
    at.radio(key="clips_import_kind").set_value("path").run()
    at.text_input(key="clips_import_path").input(str(path))
    for name, value in fields.items():
        at.text_input(key=f"clips_import_{name}").input(value)
    at.run()  # the button is enabled once a path is typed
    at.button(key="clips_import").click().run()
    assert not at.exception, at.exception
    return at


def _preview_images(at: AppTest) -> list:
    """Images with a caption: the sampled frames (library thumbnails have none)."""
    return [img for img in at.get("image") if any(img.captions)]


@pytest.mark.parametrize("lang", LANGS)
def test_import_sample_and_extract_through_the_page(home, video, lang):
    at = _app(lang)
    assert at.title[0].value == t("app.clips.title", lang)
    assert t("app.clips.empty", lang) in _texts(at.info)

    _import_path(at, video, name="Gate east", camera="cam-07", site="工地 A", tags="night, truck、night")
    [clip] = ClipLibrary().list()
    assert (clip.name, clip.camera, clip.site, clip.tags) == ("Gate east", "cam-07", "工地 A", ["night", "truck"])
    assert t("app.clips.imported", lang, name="Gate east", id=clip.id) in _texts(at.success)
    assert "**Gate east**" in _texts(at.markdown)
    assert clips_view.clip_details(clip, lang) in _texts(at.caption)
    assert at.button(key=f"clips_remove::{clip.id}")
    assert len(at.get("image")) == 1  # the clip's thumbnail

    at.checkbox(key="clips_dedupe").uncheck()
    at.number_input(key="clips_every").set_value(1.0)
    at.button(key="clips_preview").click().run()
    assert not at.exception and not [e for e in _texts(at.error) if "Label Studio" not in e]
    expected = sampling.uniform(clip, every_s=1.0)
    shown = _preview_images(at)
    assert len(shown) == len(expected) == 4
    assert [img.captions[0] for img in shown] == [clips_view.reason_text(r, lang) for r in expected]

    at.button(key="clips_extract").click().run()
    folder = home / "frames" / clip.id
    assert t("app.clips.extracted", lang, count=4, folder=str(folder)) in _texts(at.success)
    jpegs = sorted(folder.glob("*.jpg"))
    assert [p.name for p in jpegs] == [f"{r.frame_index:06d}.jpg" for r in expected]
    assert all(cv2.imread(str(p)).shape == (360, 640, 3) for p in jpegs)
    assert t("app.clips.push_count", lang, count=4) in _texts(at.caption)  # the Label Studio tab offers them


@pytest.mark.parametrize("lang", LANGS)
def test_without_a_server_label_studio_offers_to_start_one(home, lang, monkeypatch):
    monkeypatch.setenv("WORKBENCH_LABELSTUDIO_VENV", str(home / "no-venv-yet"))
    at = _app(lang)
    assert at.button(key="clips_ls_start").label == t("app.clips.ls_start", lang)
    assert t("app.clips.ls_start_help_install", lang) in _texts(at.caption)  # says the first start installs it
    no_server = Problem("labelstudio_no_url", node="labelstudio").message(lang)
    assert not _texts(at.error) and no_server not in _texts(at.info)  # a to-do with a button, not a failure
    assert at.button(key="clips_push").disabled and at.button(key="clips_pull").disabled

    at.button(key="clips_build").click().run()
    assert not at.exception
    assert Problem("dataset_empty").message(lang) in _texts(at.error)
    assert t("app.clips.ds_none_pulled", lang) in _texts(at.caption)


def test_an_unreachable_server_is_named_and_rechecked_on_demand(home, monkeypatch):
    from workbench.features.labeling.server import free_port

    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("LABEL_STUDIO_URL", url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "not-a-real-token")
    at = _app("en")
    [error] = [e for e in _texts(at.error) if url in e]
    assert error.startswith(f"cannot reach Label Studio at {url}")
    assert "not-a-real-token" not in " ".join(_texts(at.error) + _texts(at.caption) + _texts(at.success))

    monkeypatch.delenv("LABEL_STUDIO_URL")
    at.run()  # the result is kept until the user asks again
    assert error in _texts(at.error)
    at.button(key="clips_ls_recheck").click().run()
    assert not [e for e in _texts(at.error) if url in e]
    assert at.button(key="clips_ls_start")  # now it may start its own


def test_a_configured_server_offers_no_local_start(home, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    at = _app("en")
    assert not [b for b in at.button if b.key == "clips_ls_start"]
    assert t("app.clips.ls_setup_hint", "en") in _texts(at.caption)


@pytest.mark.parametrize("lang", LANGS)
def test_a_missing_file_is_the_translated_problem(home, lang, tmp_path):
    missing = tmp_path / "nowhere.mp4"
    at = _import_path(_app(lang), missing)
    assert Problem("clip_missing", field="path", params={"path": str(missing)}).message(lang) in _texts(at.error)
    assert ClipLibrary().list() == []


def test_upload_then_remove_with_confirmation(home, video):
    at = _app("en")
    at.file_uploader(key="clips_upload").set_value(("gate.mp4", video.read_bytes(), "video/mp4"))
    at.text_input(key="clips_import_tags").input("day").run()
    at.button(key="clips_import").click().run()
    assert not at.exception
    [clip] = ClipLibrary().list()
    assert (clip.name, clip.original_path, clip.tags, clip.frame_count) == ("gate", "gate.mp4", ["day"], 100)

    at.button(key=f"clips_remove::{clip.id}").click().run()
    assert ClipLibrary().list() == [clip]  # asks first
    at.button(key=f"clips_remove_no::{clip.id}").click().run()
    assert ClipLibrary().list() == [clip] and at.button(key=f"clips_remove::{clip.id}")
    at.button(key=f"clips_remove::{clip.id}").click().run()
    at.button(key=f"clips_remove_yes::{clip.id}").click().run()
    assert not at.exception
    assert ClipLibrary().list() == [] and not (home / "clips" / clip.id).exists()
    assert t("app.clips.empty", "en") in _texts(at.info)


def test_model_driven_sampling_says_the_weights_are_missing(zoo_home, video, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    ClipLibrary().import_clip(video)
    at = _app("en")
    at.radio(key="clips_method").set_value("model").run()
    assert at.selectbox(key="clips_model").value == "yolo11n"
    assert t("app.forms.weights_hint", "en", model="yolo11n") in _texts(at.warning)

    at.button(key="clips_preview").click().run()
    assert not at.exception
    with pytest.raises(WorkbenchError) as missing:
        sampling.zoo_detector("yolo11n")
    assert missing.value.problems[0].code == "weights_missing"
    assert missing.value.problems[0].message("en") in _texts(at.error)
    assert _preview_images(at) == []


@pytest.mark.parametrize("lang", LANGS)
def test_the_class_list_shows_ids_and_refuses_duplicates(home, lang):
    at = _app(lang)
    at.text_area(key="clips_classes").input("muck_truck\ncar\n\n person ").run()
    assert t("app.clips.class_ids", lang, classes="0 = muck_truck · 1 = car · 2 = person") in _texts(at.caption)
    assert t("app.clips.classes_pinned", lang) in _texts(at.caption)

    at.text_area(key="clips_classes").input("car\ntruck\ncar").run()
    duplicate = Problem("labeling_duplicate_class", field="classes", params={"name": "car"}).message(lang)
    assert duplicate in _texts(at.error)
