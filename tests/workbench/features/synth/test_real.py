"""Real-pixel scenes, fast: cut-outs, compositing and truth on a small library (five cut-outs) and short scenes.

The full scenes (real_traffic, real_people) are rendered in test_real_scenes.py (slow).
"""

from __future__ import annotations

import hashlib
from itertools import islice

import cv2
import numpy as np
import pytest

from workbench.core.errors import WorkbenchError
from workbench.features.synth import generate
from workbench.features.synth.real import Cast, RealScene, sources
from workbench.features.synth.real.cutouts import PHOTO_BY_NAME
from workbench.features.synth.real.library import build
from workbench.features.synth.real.render import render_real
from workbench.features.synth.real.scene import FPS, HEIGHT, WIDTH, route, standing
from workbench.features.synth.real.scenes import (
    BACK_X,
    COUNT_LINE,
    EAST_LANE,
    PARKED_IDS,
    STOP_X,
    WEST_LANE,
    _traffic_actors,
)
from workbench.features.synth.real.truth import real_truth
from workbench.features.synth.scenario import Scenario
from workbench.features.synth.truth import event_counts

CUTOUTS = ("dark_car", "white_car", "double_decker", "person_black", "walker_red_left")


@pytest.fixture(scope="module")
def lib(vtest_video):
    """The background, the static layers and five cut-outs, segmented from the installed files (a few seconds)."""
    return build(only=set(CUTOUTS))


def _scene(actors, casts, duration: float, fps: float = FPS, regions=(COUNT_LINE,)) -> RealScene:
    sc = Scenario("mini", "test scene", duration, tuple(actors), tuple(regions), fps=fps, size=(WIDTH, HEIGHT))
    return RealScene(sc, casts)


def _street(lib_seed: int = 0) -> RealScene:
    """A bus and a car in opposite lanes (the bus passes in front of the car), a man standing on the verge in front
    of the near lane, a woman walking along the grass."""
    actors = [
        route(1, "bus", EAST_LANE, 9.0, start=0.0),
        route(2, "car", WEST_LANE, 9.0, start=0.0),
        standing(3, "person", (352.0, 318.0), 10.0),
        route(4, "person", ((700.0, 440.0), (200.0, 330.0)), 1.4, start=0.0),
    ]
    casts = {1: Cast("double_decker", shadow=True), 2: Cast("dark_car", shadow=True), 3: Cast("person_black"),
             4: Cast("walker_red_left")}
    return _scene(actors, casts, 3.0)


def _near(a, b, margin: int = 10) -> bool:
    return a[0] < b[2] + margin and b[0] < a[2] + margin and a[1] < b[3] + margin and b[1] < a[3] + margin


def _digest(frames) -> str:
    h = hashlib.sha256()
    for img, _ in frames:
        h.update(img.tobytes())
    return h.hexdigest()


def test_photo_cutouts_are_the_object_with_a_soft_edge(lib):
    for name in CUTOUTS[:4]:
        cut = lib.cutouts[name]
        alpha = cut.frames[0][:, :, 3]
        x1, y1, x2, y2 = PHOTO_BY_NAME[name].box
        solid = alpha >= 128
        share = solid.sum() / float((x2 - x1) * (y2 - y1))
        assert 0.35 < share < 0.95, f"{name}: the mask covers {share:.2f} of its box"
        assert cv2.connectedComponents(solid.astype(np.uint8))[0] == 2, f"{name}: the mask is one piece"
        _, _, w, h = cv2.boundingRect(solid.astype(np.uint8))
        assert w <= x2 - x1 and h <= y2 - y1 and w > 0.6 * (x2 - x1) and h > 0.6 * (y2 - y1)
        contour = cv2.findContours(solid.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0][0]
        soft = ((alpha > 0) & (alpha < 255)).sum()
        assert soft > len(contour), f"{name}: the edge is feathered (a band of partial alpha along the outline)"


def test_walk_cycle_is_a_real_walker_cut_by_background_subtraction(lib):
    cut = lib.cutouts["walker_red_left"]
    assert len(cut.frames) >= 8 and 0.02 < cut.stride < 0.15 and cut.cls == "person"
    heights = []
    for frame in cut.frames:
        solid = frame[:, :, 3] >= 128
        _, _, w, h = cv2.boundingRect(solid.astype(np.uint8))
        assert 0.3 < solid.sum() / float(w * h) < 0.9  # a person's silhouette, not its rectangle
        heights.append(h)
    assert max(heights) - min(heights) < 0.15 * np.median(heights)
    assert not np.array_equal(cut.frames[0][:, :, 3], cut.frames[len(cut.frames) // 2][:, :, 3])  # the legs move


def test_same_seed_gives_the_same_clip_and_another_seed_another_look(lib):
    scene = _street()
    assert _digest(islice(render_real(scene, 0, lib), 30)) == _digest(islice(render_real(scene, 0, lib), 30))
    first = next(iter(render_real(scene, 0, lib)))[0]
    other = next(iter(render_real(scene, 2, lib)))[0]
    assert np.abs(first.astype(np.int16) - other.astype(np.int16)).mean() > 2


def test_truth_boxes_follow_the_visible_pixels(lib):
    scene = _street()
    background = lib.background.astype(np.int16)
    seen_all, checked = [], 0
    for f, (img, seen) in enumerate(render_real(scene, 0, lib, PARKED_IDS)):
        seen_all.append(seen)
        if f % 5:
            continue
        diff = np.abs(img.astype(np.int16) - background).max(axis=2) > 30  # noise sigma is 2
        for s in seen:
            if s.id not in (1, 2, 3, 4) or s.visible_px != s.total_px:  # whole, unhidden objects only
                continue
            x1, y1, x2, y2 = s.visible
            if any(o.id != s.id and o.full and _near(o.full, s.visible) for o in seen):
                continue  # another object (or its shadow) lies within the window
            window = diff[max(0, y1 - 8):y2 + 8, max(0, x1 - 8):x2 + 8]
            cx, cy, cw, ch = cv2.boundingRect(window.astype(np.uint8))
            ox, oy = max(0, x1 - 8), max(0, y1 - 8)
            # changed pixels never lie outside the box (a vehicle's contact shadow may reach a few pixels lower);
            # inside, an edge coloured like the ground may stay under the threshold
            slack_x, slack_y = max(4, 0.1 * (x2 - x1)), max(4, 0.1 * (y2 - y1))
            assert -2 <= ox + cx - x1 <= slack_x and -slack_x <= ox + cx + cw - x2 <= 2, (f, s)
            assert -2 <= oy + cy - y1 <= slack_y and -slack_y <= oy + cy + ch - y2 <= 6, (f, s)
            checked += 1
    assert checked >= 10
    truth = real_truth(scene, 0, seen_all, {91: "van", 92: "car"})
    tracks = {t["id"]: t for t in truth["tracks"]}
    assert min(tracks[2]["visibility"]) < 0.3  # the car is hidden behind the bus for a while
    assert min(tracks[1]["visibility"]) < 1.0  # the man in front hides part of the bus, the lamp post too
    assert min(tracks[3]["visibility"]) == 1.0  # nothing passes in front of the man
    hidden = [i for i, v in enumerate(tracks[1]["visibility"]) if 0.5 < v < 0.99]
    assert any(tracks[1]["boxes"][i] != tracks[1]["full_boxes"][i] for i in hidden) or hidden == []
    assert tracks[91]["parked"] and tracks[91]["class"] == "van" and len(tracks[91]["boxes"]) == truth["frames"]


def test_stopping_on_the_line_counts_once_and_backing_away_never(lib):
    """The traffic scene's two cars: one waits 3 s with its anchor 3 px before the line, one comes within 12 px of
    it and reverses out. Rendered at 5 fps to be quick; the truth is measured on the masks."""
    actors = [a for a, _ in _traffic_actors(1.0) if a.id in (4, 6)]
    scene = _scene(actors, {4: Cast("dark_car", shadow=True), 6: Cast("dark_car", shadow=True)}, 24.0, fps=5.0)
    truth = real_truth(scene, 0, (seen for _, seen in render_real(scene, 0, lib)))
    assert event_counts(truth, track_id=4, type="line_crossing") == {("line_crossing", "count_line", "in"): 1}
    assert event_counts(truth, track_id=6, type="line_crossing") == {}
    stops = {e["track_id"]: e["value"] for e in truth["events"] if e["type"] == "stopped"}
    assert stops[4] == pytest.approx(3.0, abs=0.25) and stops[6] == pytest.approx(1.2, abs=0.25)
    crossing = next(e for e in truth["events"] if e["type"] == "line_crossing")
    stop = next(e for e in truth["events"] if e["type"] == "stopped" and e["track_id"] == 4)
    assert crossing["frame"] > stop["end_frame"]  # counted when it drives on, not while it waits
    track6 = next(t for t in truth["tracks"] if t["id"] == 6)
    nearest = max((b[0] + b[2]) / 2 for b in track6["full_boxes"])
    assert COUNT_LINE.points[0][0] - 20 < nearest < COUNT_LINE.points[0][0]  # close to the line, never over it


def test_the_scene_keeps_its_stop_and_back_away_points_next_to_the_line():
    line_x = COUNT_LINE.points[0][0]
    assert 0 < line_x - STOP_X <= 5 and 5 < line_x - BACK_X <= 15


def test_missing_opencv_doc_says_which_package_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "OPENCV_DOC", tmp_path / "no-opencv-doc")
    with pytest.raises(WorkbenchError) as err:
        generate("real_traffic", tmp_path / "out")
    problem = err.value.problems[0]
    assert problem.code == "synth_real_source_missing" and problem.params["package"] == "opencv-doc"
    assert "apt-get install opencv-doc" in problem.message("en") and "opencv-doc" in problem.message("en")
    assert "apt-get install opencv-doc" in problem.message("zh") and "软件包" in problem.message("zh")
    assert not (tmp_path / "out").exists()


def test_missing_opencv_doc_on_the_command_line_is_one_line_in_chinese(tmp_path, monkeypatch, capsys):
    from workbench.apps.cli import main

    monkeypatch.setenv("WORKBENCH_LANG", "en")
    monkeypatch.setattr(sources, "OPENCV_DOC", tmp_path / "no-opencv-doc")
    assert main(["--lang", "zh", "synth", "real_traffic", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr()
    text = err.out + err.err
    assert "apt-get install opencv-doc" in text and "Traceback" not in text and "软件包" in text


def test_unknown_scene_names_the_real_scenes_too(tmp_path):
    with pytest.raises(WorkbenchError) as err:
        generate("real_trafic", tmp_path)
    assert err.value.problems[0].code == "synth_unknown_scenario"
    assert "real_traffic" in err.value.problems[0].params["choices"]
    assert "traffic" in err.value.problems[0].params["choices"].split(", ")
