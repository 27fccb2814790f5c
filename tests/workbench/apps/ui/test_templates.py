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
