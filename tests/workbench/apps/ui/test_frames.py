"""A preview frame of the pipeline's source: the right frame in RGB, cached, and a clear message when unavailable."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from support import decoded_frames
from ui_support import as_user

from workbench.apps.ui.frames import read_preview
from workbench.core.registry import default_registry
from workbench.engine.spec import PipelineSpec
from workbench.features.synth import generate


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate("restricted_zone", tmp_path_factory.mktemp("clip"), seed=1).video


def pipeline(path: str, **source) -> PipelineSpec:
    return PipelineSpec.model_validate({
        "meta": {"name": "preview"},
        "nodes": [{"id": "cam", "type": "sources/video_file@v1", "config": {"path": path, **source}},
                  {"id": "motion", "type": "detection/motion@v1", "config": {}}],
        "edges": [{"from": "cam.frames", "to": "motion.image"}],
    })


def decoded(path: Path) -> list[np.ndarray]:
    return decoded_frames(path)


def test_the_chosen_frame_comes_back_in_rgb(clip):
    frames = decoded(clip)
    preview = read_preview(pipeline(str(clip)), default_registry(), frame_index=7)
    assert preview.key is None
    assert np.array_equal(preview.image, cv2.cvtColor(frames[7], cv2.COLOR_BGR2RGB))
    assert not preview.image.flags.writeable  # cached: nobody may draw on it


def test_the_source_window_is_respected_and_a_short_source_gives_its_last_frame(clip):
    frames = decoded(clip)
    strided = read_preview(pipeline(str(clip), stride=5), default_registry(), frame_index=2)
    assert np.array_equal(strided.image, cv2.cvtColor(frames[10], cv2.COLOR_BGR2RGB))
    beyond = read_preview(pipeline(str(clip)), default_registry(), frame_index=10**6)
    assert np.array_equal(beyond.image, cv2.cvtColor(frames[-1], cv2.COLOR_BGR2RGB))


def test_previews_are_cached_until_the_file_changes(clip, tmp_path):
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(clip.read_bytes())
    first = read_preview(pipeline(str(copy)), default_registry())
    assert read_preview(pipeline(str(copy)), default_registry()) is first
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # replaced by a newer file of the same size
    assert read_preview(pipeline(str(copy)), default_registry()) is not first


def test_unreadable_sources_explain_themselves(tmp_path):
    missing = read_preview(pipeline(str(tmp_path / "nope.mp4")), default_registry())
    assert missing.image is None and "nope.mp4 does not exist" in missing.message("en")
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("hello")
    assert "cannot be opened as a video" in read_preview(pipeline(str(not_video)), default_registry()).message("en")
    bad = read_preview(pipeline(str(tmp_path / "x.mp4"), stride=0), default_registry())
    assert bad.image is None and "cam.config.stride" in bad.message("en")
    no_source = PipelineSpec.model_validate({"meta": {"name": "empty"}, "nodes": []})
    nothing = read_preview(no_source, default_registry())
    assert nothing.image is None and nothing.key == "app.forms.preview_no_source"


def test_preview_frame_warns_in_the_page_instead_of_failing(tmp_path):
    def page(path: str) -> None:
        import streamlit as st

        from workbench.apps.ui.frames import preview_frame
        from workbench.core.registry import default_registry
        from workbench.engine.spec import PipelineSpec

        spec = PipelineSpec.model_validate({"meta": {"name": "p"}, "nodes": [
            {"id": "cam", "type": "sources/video_file@v1", "config": {"path": path}}]})
        st.session_state["frame"] = preview_frame(spec, default_registry())

    at = as_user(AppTest.from_function(page, args=(str(tmp_path / "gone.mp4"),), default_timeout=60))
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.session_state["frame"] is None
    assert "gone.mp4 does not exist" in at.warning[0].value
