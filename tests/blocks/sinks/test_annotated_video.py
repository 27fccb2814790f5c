from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from support import make_detections, make_frame

from blocks.sinks.annotated_video import AnnotatedVideo, AnnotatedVideoConfig, counter_text
from workbench.core.block import Overlay, StreamContext
from workbench.core.errors import BlockError
from workbench.core.events import Event
from workbench.media.video_io import is_h264_mp4

SIZE = (320, 240)


def ctx(out: Path | None, size=SIZE, overlays=()) -> StreamContext:
    return StreamContext(out_dir=out, source="test.mp4", fps=25.0, frame_size=size, overlays=tuple(overlays))


def read_all(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    return frames


def crossing(frame: int, direction: str, track: int, bbox=None) -> Event:
    return Event(time="2026-11-23T12:00:00", pts=frame / 25, frame=frame, node="count", type="line_crossing",
                 track_id=track, class_name="car", region="gate", direction=direction, bbox=bbox)


def test_writes_playable_h264_with_one_frame_per_input(tmp_path):
    block = AnnotatedVideo(AnnotatedVideoConfig(), "video")
    overlays = [Overlay("count", "line", ((0, 200), (320, 200)), "gate"),
                Overlay("zone", "polygon", ((200, 20), (300, 20), (300, 120), (200, 120)), "yard")]
    state = block.start(ctx(tmp_path, overlays=overlays))
    inputs_seen = []
    for i in range(12):
        frame = make_frame(i, size=SIZE)
        x = 20 + 5 * i
        tracks = make_detections([(x, 60, x + 40, 120)], tracker_ids=[7],
                                 trajectories=[[(20 + 5 * k + 20, 120) for k in range(i + 1)]])
        events = (crossing(i, "in", 7, bbox=(x, 60, x + 40, 120)),) if i == 5 else ()
        block.process(state, frame, {"image": frame, "detections": tracks, "events": events})
        inputs_seen.append(frame.image)
    facts = block.finish(state)

    path = tmp_path / "annotated.mp4"
    assert facts == {"file": "annotated.mp4", "frames": 12, "language": "en"}  # not loaded: no font looked for
    assert is_h264_mp4(path)
    frames = read_all(path)
    assert len(frames) == 12
    assert frames[0].shape[:2] == (SIZE[1], SIZE[0])
    assert all(not img.any() for img in inputs_seen), "the input frames must stay untouched"
    # the box edge of the track is drawn where the track is (frame 10: box starts at x=70)
    assert frames[10][58:62, 70:110].max() > 60
    # the counting line is drawn across the frame
    assert frames[3][198:203, 5:60].max() > 60


def test_counters_appear_after_events(tmp_path):
    def top_left_after(events_at: dict[int, tuple]) -> np.ndarray:
        out = tmp_path / str(len(events_at))
        block = AnnotatedVideo(AnnotatedVideoConfig(flash_seconds=0), "video")
        state = block.start(ctx(out))
        for i in range(4):
            frame = make_frame(i, size=SIZE)
            block.process(state, frame, {"image": frame, "events": events_at.get(i, ())})
        block.finish(state)
        return read_all(out / "annotated.mp4")[-1][5:30, 5:150]

    assert top_left_after({}).max() < 30
    assert top_left_after({1: (crossing(1, "in", 1),), 2: (crossing(2, "out", 2),)}).max() > 100


def test_counter_text_counts_by_direction():
    assert counter_text("gate", {"in": 3, "out": 2}) == "gate in 3 / out 2"


def test_detections_without_tracks_and_unknown_size(tmp_path):
    block = AnnotatedVideo(AnnotatedVideoConfig(filename="plain.mp4"), "video")
    state = block.start(ctx(tmp_path, size=(0, 0)))  # size unknown until the first frame
    for i in range(3):
        frame = make_frame(i, size=(161, 121))  # odd size: padded to even by the writer
        dets = make_detections([(10, 10, 60, 60), (80, 20, 120, 90)], class_names=["person", "car"])
        block.process(state, frame, {"image": frame, "detections": dets})
    assert block.finish(state)["frames"] == 3
    assert is_h264_mp4(tmp_path / "plain.mp4")
    assert len(read_all(tmp_path / "plain.mp4")) == 3


def test_tracks_without_trajectory_use_tracker_history(tmp_path):
    block = AnnotatedVideo(AnnotatedVideoConfig(show_labels=False), "video")
    state = block.start(ctx(tmp_path))
    for i in range(6):
        frame = make_frame(i, size=SIZE)
        x = 20 + 20 * i
        block.process(state, frame, {"image": frame, "detections": make_detections([(x, 100, x + 30, 150)],
                                                                                    tracker_ids=[3])})
    block.finish(state)
    last = read_all(tmp_path / "annotated.mp4")[-1]
    assert last[146:155, 40:100].max() > 60  # the trail along the bottom centres of earlier boxes


def test_no_frames_leaves_no_broken_file(tmp_path):
    block = AnnotatedVideo(AnnotatedVideoConfig(), "video")
    state = block.start(ctx(tmp_path))
    assert block.finish(state) == {"file": None, "frames": 0}
    assert not (tmp_path / "annotated.mp4").exists()


def test_unwritable_folder_names_node_and_field(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(BlockError) as err:
        AnnotatedVideo(AnnotatedVideoConfig(), "video").start(ctx(blocker / "run"))
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("sink_unwritable", "video", "filename")


def test_filename_must_be_plain_mp4():
    with pytest.raises(ValueError, match="plain name"):
        AnnotatedVideoConfig(filename="../x.mp4")
    with pytest.raises(ValueError, match=r"must end with \.mp4"):
        AnnotatedVideoConfig(filename="x.avi")
