"""The HOG people pipeline on real street footage (vtest.avi from Debian's opencv-doc, installed by the fixture).

There is no ground truth for this clip; the test checks what a user would: the run completes over the whole clip,
people are counted in both directions, nobody is counted twice in one direction, every count has a snapshot of a
standing person (taller than wide), and the annotated video plays in a browser.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from workbench.engine.runner import RunOptions, run_pipeline
from workbench.engine.spec import load_spec
from workbench.media.video_io import is_h264_mp4

PIPELINE = Path(__file__).resolve().parents[2] / "pipelines" / "people_count_hog.yaml"
STRIDE = 2  # 398 of the 795 frames: halves the time, HOG needs ~130 ms a frame on this CPU


@pytest.mark.slow
def test_people_counted_on_street_footage(vtest_video, tmp_path):
    summary = run_pipeline(load_spec(PIPELINE), RunOptions(out_dir=tmp_path, source=str(vtest_video), stride=STRIDE))
    assert summary["status"] == "done"
    assert summary["frames"] == len(range(0, 795, STRIDE))
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    directions = [e["direction"] for e in events]
    assert directions.count("in") >= 2 and directions.count("out") >= 2, directions
    assert 6 <= len(events) <= 40, f"{len(events)} crossings is implausible for this 80 s street clip"
    assert len({(e["track_id"], e["direction"]) for e in events}) == len(events)
    for e in events:
        crop = cv2.imread(str(tmp_path / e["snapshot"]))
        assert crop is not None and crop.shape[0] > crop.shape[1], e["snapshot"]
    assert summary["events"] == {"count_line": {"line_crossing": len(events)}}
    assert is_h264_mp4(tmp_path / "annotated.mp4")
