"""The bundled NanoDet-m 416 through the ONNX detector block on real pixels: ultralytics' bus.jpg, vtest.avi, and
one loaded model shared by three streams running at once."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
import supervision as sv

from blocks.detection.onnx_detector import OnnxDetector, OnnxDetectorConfig
from workbench.core.class_names import class_keys
from workbench.core.frames import Frame, read_only

BUS = Path(__import__("ultralytics").__file__).parent / "assets" / "bus.jpg"
VEHICLES = ("car", "truck", "bus")
VAN = np.array([[651.0, 44.0, 725.0, 98.0]], np.float32)  # the van parked at the top right of vtest.avi


def frame_of(image: np.ndarray, index: int = 0) -> Frame:
    return Frame(image=read_only(image), index=index, pts=index / 10, wall_time=datetime(2026, 12, 7, 8, 0, 0))


def loaded(node: str = "det", **config) -> OnnxDetector:
    block = OnnxDetector(OnnxDetectorConfig(**config), node)  # default model: the bundled nanodet-m-416
    block.load()
    return block


def detect(block: OnnxDetector, frame: Frame) -> sv.Detections:
    return block.process(None, frame, {"image": frame})["detections"]


def vtest_frames(path: Path, every: int, limit: int | None = None) -> list[np.ndarray]:
    capture, frames, index = cv2.VideoCapture(str(path)), [], 0
    while limit is None or len(frames) < limit:
        ok, image = capture.read()
        if not ok:
            break
        if index % every == 0:
            frames.append(image)
        index += 1
    capture.release()
    return frames


def test_bus_and_people_on_bus_jpg():
    image = cv2.imread(str(BUS))
    dets = detect(loaded(classes=["person", *VEHICLES]), frame_of(image))
    names = dets.data["class_name"].tolist()
    assert names.count("bus") == 1 and names.count("person") >= 3, names
    bus = dets.xyxy[dets.data["class_name"] == "bus"][0]
    assert (bus[2] - bus[0]) > 0.8 * image.shape[1]  # the bus spans the picture
    people = dets[dets.data["class_name"] == "person"]
    assert (people.confidence >= 0.35).all() and sv.box_iou_batch(people.xyxy, bus[None]).max() < 0.5


def test_class_agnostic_nms_leaves_one_box_per_vehicle(vtest_video):
    """Around frame 150-200 NanoDet scores the van both car and truck: per-class NMS keeps two boxes on it."""
    frames = [frame_of(image, i) for i, image in enumerate(vtest_frames(vtest_video, 5, limit=41)[30:])]
    merged, per_class = loaded(classes=VEHICLES, conf=0.3), loaded(classes=VEHICLES, conf=0.3, agnostic_nms=False)
    doubled = 0
    for frame in frames:
        on_van = [int((sv.box_iou_batch(dets.xyxy, VAN)[:, 0] > 0.5).sum()) if len(dets) else 0
                  for dets in (detect(merged, frame), detect(per_class, frame))]
        assert on_van[0] == 1
        doubled += on_van[1] == 2
    assert doubled >= 2


@pytest.mark.slow
def test_people_on_most_frames_and_the_parked_van_on_vtest(vtest_video):
    block = loaded(classes=["person", *VEHICLES])
    frames = vtest_frames(vtest_video, 5)
    people, van = [], 0
    for i, image in enumerate(frames):
        dets = detect(block, frame_of(image, i))
        people.append(int((dets.data["class_name"] == "person").sum()))
        vehicles = dets[np.isin(dets.data["class_name"], VEHICLES)]
        van += bool(len(vehicles)) and sv.box_iou_batch(vehicles.xyxy, VAN).max() > 0.6
    assert len(frames) >= 150
    assert sum(p >= 1 for p in people) >= 0.9 * len(frames)  # people on most frames
    assert np.mean(people) >= 3  # several walkers at once
    assert van >= 0.9 * len(frames)  # the parked van is a vehicle on (nearly) every frame


def test_three_streams_share_one_model_and_get_what_they_get_alone(vtest_video):
    """Three cameras (three compiled nodes, one loaded session) running at once give each stream the same
    detections it gets when it runs alone."""
    clips = [vtest_frames(vtest_video, 1, limit=60)[start::3][:12] for start in range(3)]
    settings = [{"classes": ["person"]}, {"classes": list(VEHICLES), "conf": 0.3}, {"max_det": 5}]
    nodes = [loaded(f"cam{i}", **s) for i, s in enumerate(settings)]
    assert nodes[0]._detector is nodes[1]._detector is nodes[2]._detector
    alone = [[detect(node, frame_of(image, i)) for i, image in enumerate(clip)] for node, clip in zip(nodes, clips,
                                                                                                        strict=True)]
    together: list[list[sv.Detections]] = [[], [], []]

    def run(k: int) -> None:
        together[k] = [detect(nodes[k], frame_of(image, i)) for i, image in enumerate(clips[k])]

    threads = [threading.Thread(target=run, args=(k,)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for k in range(3):
        assert len(together[k]) == len(alone[k]) == 12
        for ours, reference in zip(together[k], alone[k], strict=True):
            assert ours == reference
    assert {n for dets in alone[0] for n in dets.data["class_name"]} == {"person"}
    assert {n for dets in alone[1] for n in dets.data["class_name"]} <= class_keys(VEHICLES)
    assert all(len(dets) <= 5 for dets in alone[2])
