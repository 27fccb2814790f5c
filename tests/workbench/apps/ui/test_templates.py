"""Template cards: a translated name and a picture of the template's own scene with its lines and zones."""

from __future__ import annotations

import cv2
import numpy as np

from workbench.apps.ui import library, templates
from workbench.core.registry import default_registry

REG = default_registry()


def _entry(name: str) -> library.PipelineEntry:
    return next(e for e in library.list_pipelines() if e.bundled and e.name == name)


def test_a_template_picture_shows_its_scene_with_the_counting_line(tmp_path):
    picture = templates.preview(_entry("vehicle_count_line"), REG, home=tmp_path)
    image = cv2.imread(str(picture))
    assert image.shape[1] == templates.PREVIEW_WIDTH
    amber = np.all(np.abs(image.astype(int) - templates.LINE_COLOUR) < 40, axis=2)
    assert amber.sum() > 100, "the counting line is drawn"
    assert templates.preview(_entry("vehicle_count_line"), REG, home=tmp_path) == picture  # made once


def test_a_template_without_its_video_here_has_no_picture_but_a_name(tmp_path):
    entry = _entry("people_count_hog")  # real footage that is not on this machine
    assert templates.preview(entry, REG, home=tmp_path) is None
    assert templates.card(entry, "zh").title == "行人过线计数（真实街景）"


def _fake_demo(home, scenario: str) -> None:
    """A stand-in demo clip (grey frames) with a truth naming `scenario`, where make_demo_clip puts the real one."""
    import json

    from workbench.media.video_io import H264Writer

    folder = home / "demo"
    folder.mkdir(parents=True)
    with H264Writer(folder / "demo_s0.mp4", 25.0, (768, 576)) as writer:
        for _ in range(5):
            writer.write(np.full((576, 768, 3), 90, np.uint8))
    truth = {"scenario": scenario, "frames": 5, "tracks": [{"id": 1, "first_frame": 2, "last_frame": 4}]}
    (folder / "demo_s0.truth.json").write_text(json.dumps(truth), encoding="utf-8")


def test_a_real_pixel_template_is_pictured_on_the_real_demo_street(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    entry = _entry("vehicle_count_pretrained")
    assert templates.preview(entry, REG, home=tmp_path) is None  # no real demo clip yet: a name, no picture
    _fake_demo(tmp_path, "demo")
    assert templates.preview(entry, REG, home=tmp_path) is None  # the drawn fallback is another street
    (tmp_path / "demo").rename(tmp_path / "drawn")
    _fake_demo(tmp_path, "real_demo")
    image = cv2.imread(str(templates.preview(entry, REG, home=tmp_path)))
    amber = np.all(np.abs(image.astype(int) - templates.LINE_COLOUR) < 40, axis=2)
    assert amber.sum() > 100, "the counting lines are drawn"
    assert templates.card(entry, "zh").title == "车辆过线计数（预训练检测器）"
