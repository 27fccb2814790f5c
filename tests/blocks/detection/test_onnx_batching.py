"""detection/onnx@v1 batches the frames of streams that share its model: every stream (each with its own settings)
gets what it gets alone, calls carry several frames, a single stream never waits, a stream that ends or is dropped
leaves its seat, and a model that takes one frame per run is not batched at all."""

from __future__ import annotations

import gc
import threading
import time
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
import supervision as sv
from onnx_batch_support import import_nanodet_copies

from blocks.detection.onnx_detector import OnnxDetector, OnnxDetectorConfig
from workbench.core.block import StreamContext
from workbench.core.frames import Frame, read_only

CTX = StreamContext(out_dir=None, source="vtest", fps=10.0, frame_size=(768, 576))


def frame_of(image: np.ndarray, index: int = 0) -> Frame:
    return Frame(image=read_only(image), index=index, pts=index / 10, wall_time=datetime(2026, 12, 7, 8, 0, 0))


def loaded(node: str = "det", **config) -> OnnxDetector:
    block = OnnxDetector(OnnxDetectorConfig(**config), node)
    block.load()
    return block


def vtest_frames(path: Path, every: int, limit: int) -> list[np.ndarray]:
    capture, frames, index = cv2.VideoCapture(str(path)), [], 0
    while len(frames) < limit:
        ok, image = capture.read()
        if not ok:
            break
        if index % every == 0:
            frames.append(image)
        index += 1
    capture.release()
    return frames


@pytest.fixture
def models(zoo_home: Path, tmp_path: Path) -> dict[str, str]:
    return import_nanodet_copies(tmp_path / "copies")


def same(ours: sv.Detections, alone: sv.Detections) -> None:
    assert ours.data["class_name"].tolist() == alone.data["class_name"].tolist()
    np.testing.assert_allclose(ours.xyxy, alone.xyxy, atol=1e-3)
    np.testing.assert_allclose(ours.confidence, alone.confidence, atol=1e-5)


def run_stream(block: OnnxDetector, images: list[np.ndarray], out: list[sv.Detections]) -> None:
    state = block.start(CTX)
    try:
        for i, image in enumerate(images):
            frame = frame_of(image, i)
            out.append(block.process(state, frame, {"image": frame})["detections"])
    finally:
        block.finish(state)


def test_three_streams_with_their_own_settings_share_calls_and_get_what_they_get_alone(models, vtest_video):
    clips = [vtest_frames(vtest_video, 1, limit=12)[start::3][:4] for start in range(3)]
    settings = [{"classes": ["person"]}, {"classes": ["car", "truck"], "conf": 0.3}, {"max_det": 5, "conf": 0.25}]
    nodes = [loaded(f"cam{i}", model=models["dynamic"], batch_wait_ms=200, **s) for i, s in enumerate(settings)]
    batcher = nodes[0]._batcher
    assert batcher is not None and all(n._batcher is batcher for n in nodes)  # one model, one batcher
    alone = [[n.process(None, frame_of(im, i), {"image": frame_of(im, i)})["detections"] for i, im in enumerate(clip)]
             for n, clip in zip(nodes, clips, strict=True)]
    together: list[list[sv.Detections]] = [[], [], []]
    threads = [threading.Thread(target=run_stream, args=(nodes[k], clips[k], together[k])) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for k in range(3):
        assert len(together[k]) == 4
        for ours, reference in zip(together[k], alone[k], strict=True):
            same(ours, reference)
    assert batcher.items == 12 and batcher.batches < 12 and max(batcher.sizes) == 3, batcher.sizes
    assert batcher.streams == 0  # every stream left at its end
    assert sum(len(d) for d in alone[0]) >= 8 and all(set(d.data["class_name"]) <= {"person"} for d in alone[0])


def test_a_single_stream_never_waits_and_gets_exactly_what_it_got_before(models, vtest_video):
    images = vtest_frames(vtest_video, 7, limit=10)
    block = loaded(model=models["dynamic"], classes=["person", "car"], batch_wait_ms=1000)
    before = [block.process(None, frame_of(im, i), {"image": frame_of(im, i)})["detections"]
              for i, im in enumerate(images)]
    ours: list[sv.Detections] = []
    began = time.monotonic()
    run_stream(block, images, ours)
    assert time.monotonic() - began < 10 * 0.5  # a wait of 1 s per frame would show
    assert ours == before  # bit for bit
    assert block._batcher.sizes == {1: 10}


def test_a_stream_dropped_without_finish_leaves_its_seat(models):
    block = loaded(model=models["dynamic"])
    states = [block.start(CTX) for _ in range(2)]
    assert block._batcher.streams == 2
    block.finish(states[0])
    block.finish(states[0])  # twice: harmless
    assert block._batcher.streams == 1
    del states[:]  # a reset: the stream's states replaced without finish()
    gc.collect()
    assert block._batcher.streams == 0


def test_one_frame_per_run_models_and_max_batch_1_are_not_batched(models, vtest_video):
    image = vtest_frames(vtest_video, 1, limit=1)[0]
    for block in (loaded(model=models["fixed"]), loaded(model=models["dynamic"], max_batch=1)):
        assert block._batcher is None
        state = block.start(CTX)
        frame = frame_of(image)
        assert block.process(state, frame, {"image": frame})["detections"] == \
            block.process(None, frame, {"image": frame})["detections"]
        block.finish(state)
