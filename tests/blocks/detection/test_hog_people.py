"""HOG people detector: finds pedestrians in real street footage, nothing in an empty picture."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
import supervision as sv
from support import make_frame

from blocks.detection.hog_people import HogPeople, HogPeopleConfig
from workbench.core.block import StreamContext
from workbench.core.frames import read_only

CTX = StreamContext(out_dir=None, source="test", fps=25.0, frame_size=(768, 576))


def detect(block: HogPeople, image: np.ndarray, state=None):
    frame = replace(make_frame(0, size=(image.shape[1], image.shape[0])), image=read_only(image))
    return block.process(state if state is not None else block.start(CTX), frame, {"image": frame})["detections"]


@pytest.mark.parametrize("image", [np.zeros((576, 768, 3), np.uint8), np.full((480, 640, 3), 180, np.uint8)])
def test_blank_image_has_no_people(image):
    dets = detect(HogPeople(HogPeopleConfig(), "hog"), image)
    assert len(dets) == 0
    assert dets.data["class_name"].shape == (0,)
    assert dets.class_id.shape == (0,) and dets.confidence.shape == (0,)


def read_frames(path, indices):
    cap = cv2.VideoCapture(str(path))
    frames = {}
    for i in range(max(indices) + 1):
        ok, image = cap.read()
        assert ok, f"could not read frame {i} of {path}"
        if i in indices:
            frames[i] = image
    cap.release()
    return frames


@pytest.mark.slow
def test_finds_pedestrians_in_street_footage(vtest_video):
    frames = read_frames(vtest_video, [0, 150, 300, 450, 600])
    block = HogPeople(HogPeopleConfig(), "hog")
    state = block.start(CTX)
    counts = []
    for image in frames.values():
        before = image.copy()
        dets = detect(block, image, state)
        assert np.array_equal(image, before)  # the frame is not drawn on
        counts.append(len(dets))
        if len(dets):
            assert set(dets.data["class_name"].tolist()) == {"person"}
            assert ((dets.confidence >= 0.5) & (dets.confidence <= 1.0)).all()
            w, h = dets.xyxy[:, 2] - dets.xyxy[:, 0], dets.xyxy[:, 3] - dets.xyxy[:, 1]
            assert (dets.xyxy >= 0).all()
            assert (dets.xyxy[:, [0, 2]] <= 768).all() and (dets.xyxy[:, [1, 3]] <= 576).all()
            assert (h > w).all()  # upright people: boxes taller than wide, in full-frame pixels
    assert sum(c >= 1 for c in counts) >= 4, counts
    assert sum(counts) >= 8, counts


@pytest.mark.slow
def test_resizing_maps_boxes_back_to_full_frame(vtest_video):
    frames = read_frames(vtest_video, [0, 300, 600])
    found = {w: [detect(HogPeople(HogPeopleConfig(resize_width=w), "hog"), im) for im in frames.values()]
             for w in (0, 640, 1152)}
    for full, small in zip(found[0], found[640], strict=True):
        assert len(full) and len(small)
        # boxes found on the shrunk copy lie where people were found at full size (full-frame pixels)
        best = sv.box_iou_batch(small.xyxy, full.xyxy).max(axis=1)
        assert (best > 0.3).mean() >= 0.5, best
    # enlarging the frame finds the far-away people the native size misses (they are < 100 px tall here)
    assert sum(map(len, found[1152])) > sum(map(len, found[0]))
    assert all((d.xyxy[:, [0, 2]] <= 768).all() and (d.xyxy[:, [1, 3]] <= 576).all() for d in found[1152])
