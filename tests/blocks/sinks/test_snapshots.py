from __future__ import annotations

from datetime import datetime

import cv2
import numpy as np
import pytest
from support import make_frame

from blocks.sinks.snapshots import Snapshots, SnapshotsConfig
from workbench.core.block import StreamContext
from workbench.core.errors import BlockError
from workbench.core.events import Event
from workbench.core.frames import Frame, read_only


def ctx(out):
    return StreamContext(out_dir=out, source="test.mp4", fps=25.0, frame_size=(640, 360))


def white_box_frame(index: int, box=(100, 100, 200, 160)) -> Frame:
    image = np.zeros((360, 640, 3), dtype=np.uint8)
    x1, y1, x2, y2 = box
    image[y1:y2, x1:x2] = 255
    return Frame(read_only(image), index, index / 25, datetime(2026, 11, 23, 12), "test")


def event(frame: int, bbox, track=4, type_="stopped", node="stop") -> Event:
    return Event(time="2026-11-23T12:00:00", pts=frame / 25, frame=frame, node=node, type=type_, track_id=track,
                 bbox=bbox)


def test_crop_is_saved_and_path_attached(tmp_path):
    block = Snapshots(SnapshotsConfig(padding=0.1), "snap")
    state = block.start(ctx(tmp_path))
    frame = white_box_frame(12)
    given = (event(12, (100, 100, 200, 160)), event(12, None, track=None, type_="crowding"))
    out = block.process(state, frame, {"image": frame, "events": given})["events"]

    assert out[0].snapshot == "snapshots/000012_stop_stopped_4.jpg"  # frame, rule node, type, track
    assert out[1] == given[1]  # no box, no snapshot
    assert given[0].snapshot == ""  # inputs are not changed
    crop = cv2.imread(str(tmp_path / out[0].snapshot))
    assert crop.shape[:2] == (72, 120)  # 100x60 box plus 10% on every side
    assert crop[36, 60].min() > 200 and crop[1, 1].max() < 60  # the object in the middle, the margin around it
    assert block.finish(state) == {"folder": "snapshots", "snapshots": 1}


def test_clamped_to_frame_and_shrunk_to_max_size(tmp_path):
    block = Snapshots(SnapshotsConfig(folder="crops", padding=0.5, max_size=64), "snap")
    state = block.start(ctx(tmp_path))
    frame = make_frame(3)
    out = block.process(state, frame, {"image": frame, "events": (event(3, (-50, 300, 400, 420)),)})["events"]
    crop = cv2.imread(str(tmp_path / out[0].snapshot))
    assert out[0].snapshot.startswith("crops/")
    assert max(crop.shape[:2]) == 64
    # clamped: 0..625 wide (400 + 225 padding), 240..360 high -> aspect kept when shrinking
    assert crop.shape[1] == 64 and crop.shape[0] == round(120 * 64 / 625)


def test_box_outside_frame_and_name_collisions(tmp_path):
    block = Snapshots(SnapshotsConfig(), "snap")
    state = block.start(ctx(tmp_path))
    frame = make_frame(1)
    outside = event(1, (700, 400, 800, 500))
    twice = (event(1, (10, 10, 50, 50)), event(1, (60, 10, 90, 50)))
    out = block.process(state, frame, {"image": frame, "events": (outside, *twice)})["events"]
    assert out[0].snapshot == ""
    assert out[1].snapshot != out[2].snapshot
    assert all((tmp_path / e.snapshot).is_file() for e in out[1:])


def test_unwritable_folder(tmp_path):
    (tmp_path / "snapshots").write_text("a file where the folder should be")
    with pytest.raises(BlockError) as err:
        Snapshots(SnapshotsConfig(), "snap").start(ctx(tmp_path))
    p = err.value.problems[0]
    assert (p.code, p.node, p.field) == ("sink_unwritable", "snap", "folder")


def test_folder_must_be_plain():
    with pytest.raises(ValueError, match="plain name"):
        SnapshotsConfig(folder="/etc")
