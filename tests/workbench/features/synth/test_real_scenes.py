"""The real-pixel scenes rendered in full (slow): the clip from the command line, the events of both scenes, seeds."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import cv2
import pytest

from workbench.apps.cli import main
from workbench.features.synth import load_truth
from workbench.features.synth.real import real_clip_truth
from workbench.features.synth.truth import event_counts
from workbench.media.video_io import is_h264_mp4

pytestmark = pytest.mark.slow


def _frame_count(path: Path) -> int:
    cap, n = cv2.VideoCapture(str(path)), 0
    while cap.grab():
        n += 1
    cap.release()
    return n


def _story(truth: dict) -> Counter:
    """Which track crosses which line which way, and which tracks stop: the part a seed must not change."""
    return Counter((e["track_id"], e["type"], e["region"], e["direction"]) for e in truth["events"])


def test_real_traffic_from_the_command_line(tmp_path, vtest_video, capsys):
    assert main(["synth", "real_traffic", "--out", str(tmp_path)]) == 0
    paths = json.loads(capsys.readouterr().out)
    video, truth = Path(paths["video"]), load_truth(paths["truth"])
    assert video == tmp_path / "real_traffic_s0.mp4" and is_h264_mp4(video)
    assert _frame_count(video) == truth["frames"] and truth["size"] == [768, 576]
    assert set(truth["regions"]) == {"count_line", "side_line"}

    crossings = event_counts(truth, type="line_crossing")
    vehicles = Counter({k: v for k, v in crossings.items() if k[1] == "count_line"})
    assert vehicles == {("line_crossing", "count_line", "in"): 4, ("line_crossing", "count_line", "out"): 3}
    assert crossings[("line_crossing", "side_line", "in")] == 3  # van, car, a walker going up the side road
    assert crossings[("line_crossing", "side_line", "out")] == 1
    classes = {e["class"] for e in truth["events"] if e["type"] == "line_crossing" and e["region"] == "count_line"}
    assert classes == {"car", "bus"}
    assert {e["class"] for e in truth["events"] if e["region"] == "side_line"} == {"van", "car", "person"}

    def of(track: int, kind: str) -> list[dict]:
        return [e for e in truth["events"] if e["track_id"] == track and e["type"] == kind]

    assert len(of(4, "line_crossing")) == 1 and of(4, "stopped")[0]["value"] == pytest.approx(3.0, abs=0.1)
    assert of(6, "line_crossing") == [] and of(6, "stopped")[0]["value"] == pytest.approx(1.2, abs=0.1)

    tracks = {t["id"]: t for t in truth["tracks"]}
    for parked, cls in ((91, "van"), (92, "car")):
        t = tracks[parked]
        assert t["parked"] and t["class"] == cls and (t["first_frame"], t["last_frame"]) == (0, truth["frames"] - 1)
        assert of(parked, "line_crossing") == [] and len(of(parked, "stopped")) == 1
    assert min(tracks[92]["visibility"]) < 0.9  # vehicles leaving up the side road pass in front of the parked car
    assert min(tracks[2]["visibility"]) < 0.2  # the first bus hides the first westbound car
    assert min(tracks[31]["visibility"]) < 1  # a walker on the grass passes in front of the man on the verge
    for t in truth["tracks"]:
        assert len(t["boxes"]) == len(t["full_boxes"]) == len(t["visibility"]) == t["last_frame"] - t["first_frame"] + 1


def test_real_people_events(vtest_video):
    truth = real_clip_truth("real_people")
    line = event_counts(truth, type="line_crossing")
    assert line == {("line_crossing", "walk_line", "in"): 3, ("line_crossing", "walk_line", "out"): 2}
    assert {e["class"] for e in truth["events"]} == {"person", "van", "car"}  # the parked vehicles stand still

    def of(track: int, kind: str) -> list[dict]:
        return [e for e in truth["events"] if e["track_id"] == track and e["type"] == kind]

    assert len(of(43, "line_crossing")) == 1 and of(43, "stopped")[0]["value"] == pytest.approx(4.0, abs=0.1)
    assert of(44, "line_crossing") == [] and of(44, "stopped")  # turned back before the line
    dwell = of(48, "dwell")
    assert len(dwell) == 1 and dwell[0]["region"] == "lawn" and dwell[0]["value"] > 5.0
    assert of(49, "zone_enter") and of(49, "zone_exit") == []  # stands on the lawn all along
    tracks = {t["id"]: t for t in truth["tracks"]}
    assert min(tracks[46]["visibility"]) < 0.6 or min(tracks[45]["visibility"]) < 0.6  # the pair overlaps


def test_another_seed_keeps_the_story(vtest_video):
    first, other = real_clip_truth("real_traffic", 0), real_clip_truth("real_traffic", 3)
    assert _story(first) == _story(other)
    assert other["frames"] != first["frames"]  # another tempo
    assert [t["boxes"][0] for t in other["tracks"]] != [t["boxes"][0] for t in first["tracks"]]
