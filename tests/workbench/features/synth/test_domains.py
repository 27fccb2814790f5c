"""Camera looks make a second domain: darker, bluer pictures with the same objects in the same places."""

from __future__ import annotations

import cv2
import numpy as np
from support import decoded_frames

from workbench.features.synth import generate
from workbench.features.synth.domains import DAYLIGHT, DUSK, SITE_DUSK, STREET_DAY, restyle_images


def test_dusk_darkens_the_picture_but_moves_nothing(tmp_path):
    clip = generate("muck_truck", tmp_path, seed=0)
    frame = decoded_frames(clip.video)[60]
    dusk = DUSK.apply(frame, seed=1)
    assert dusk.shape == frame.shape and dusk.dtype == np.uint8
    assert dusk.mean() < 0.6 * frame.mean(), "dusk is clearly darker"
    assert dusk[..., 0].mean() > dusk[..., 2].mean(), "and blue-tinted"
    edges_day, edges_dusk = (cv2.Canny(cv2.cvtColor(i, cv2.COLOR_BGR2GRAY), 20, 60) > 0 for i in (frame, dusk))
    assert (edges_day & cv2.dilate(edges_dusk.astype(np.uint8), np.ones((5, 5))).astype(bool)).mean() > 0.5 * \
        edges_day.mean(), "object outlines stay where they were, so the truth boxes still fit"
    assert np.array_equal(DUSK.apply(frame, seed=1), dusk), "deterministic per seed"
    assert np.array_equal(DAYLIGHT.apply(frame), frame)


def test_restyle_rewrites_images_and_never_labels(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    grey = np.full((32, 48, 3), 180, np.uint8)
    for name in ("a", "b"):
        cv2.imwrite(str(tmp_path / "images" / f"{name}.jpg"), grey)
        (tmp_path / "labels" / f"{name}.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    assert restyle_images(tmp_path, DUSK) == 2
    assert cv2.imread(str(tmp_path / "images" / "a.jpg")).mean() < 120
    assert (tmp_path / "labels" / "a.txt").read_text() == "0 0.5 0.5 0.2 0.2\n"


def test_domains_name_distinct_clips():
    clips = SITE_DUSK.clips(3) + STREET_DAY.clips(3, first_seed=10)
    assert len(set(clips)) == 6
    assert {s for s, _ in SITE_DUSK.clips(3)} == {"muck_truck"} and "muck_truck" not in STREET_DAY.scenarios
