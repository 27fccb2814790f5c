"""Motion detector: finds what moves against a learned background, per stream, after a warm-up."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import supervision as sv
from pydantic import ValidationError
from support import make_frame

from blocks.detection.motion import MotionConfig, MotionDetector
from workbench.core.block import StreamContext
from workbench.core.frames import read_only

W, H = 320, 240
RECT = (60, 40)  # width, height of the moving object
CTX = StreamContext(out_dir=None, source="test", fps=25.0, frame_size=(W, H))
_rng = np.random.default_rng(7)
BACKGROUND = _rng.integers(0, 256, size=(H // 8, W // 8, 3), dtype=np.uint8).repeat(8, 0).repeat(8, 1)
NOISY = [np.clip(BACKGROUND.astype(np.int16) + _rng.integers(-3, 4, BACKGROUND.shape), 0, 255).astype(np.uint8)
         for _ in range(17)]  # the background as a camera sees it: a little sensor noise, different each frame


def scene(index: int, rect_at: tuple[int, int] | None, noise_seed: int = 0):
    """A textured static background with a little sensor noise, and optionally a solid rectangle at (x, y)."""
    image = NOISY[(index + 5 * noise_seed) % len(NOISY)].copy()
    if rect_at is not None:
        x, y = rect_at
        image[y:y + RECT[1], x:x + RECT[0]] = (30, 200, 240)
    return replace(make_frame(index, size=(W, H)), image=read_only(image))


def run(block: MotionDetector, state, frames) -> list[sv.Detections]:
    return [block.process(state, f, {"image": f})["detections"] for f in frames]


def iou(a, b) -> float:
    return float(sv.box_iou_batch(np.array([a], dtype=float), np.array([b], dtype=float))[0, 0])


@pytest.mark.parametrize("method", ["mog2", "knn"])
def test_moving_rectangle_is_found_after_warmup(method):
    cfg = MotionConfig(method=method, warmup_frames=10, var_threshold=16.0 if method == "mog2" else 400.0)
    block = MotionDetector(cfg, "motion")
    state = block.start(CTX)
    frames = [scene(i, None) for i in range(60)] + [scene(60 + i, (20 + 6 * i, 90)) for i in range(30)]
    out = run(block, state, frames)
    assert all(len(d) == 0 for d in out[:60])  # warm-up and then an empty scene: nothing
    for i, dets in enumerate(out[63:], start=3):  # the object has been moving for a few frames
        assert len(dets) == 1, f"frame {60 + i}: {dets.xyxy}"
        x = 20 + 6 * i
        assert iou(dets.xyxy[0], (x, 90, x + RECT[0], 90 + RECT[1])) > 0.6
        assert dets.data["class_name"].tolist() == ["object"]
        assert 0.5 < dets.confidence[0] <= 1.0


def test_no_detections_during_warmup_even_with_motion():
    block = MotionDetector(MotionConfig(warmup_frames=15), "motion")
    state = block.start(CTX)
    out = run(block, state, [scene(i, (10 + 8 * i, 50)) for i in range(15)])
    assert all(len(d) == 0 for d in out)
    assert out[0].data["class_name"].shape == (0,)


def test_static_scene_gives_nothing():
    block = MotionDetector(MotionConfig(warmup_frames=5), "motion")
    state = block.start(CTX)
    assert all(len(d) == 0 for d in run(block, state, [scene(i, None) for i in range(60)]))


def test_streams_keep_their_own_background():
    """Stream B learned a parked object as background; stream A has never seen it, so only A reports it."""
    block = MotionDetector(MotionConfig(warmup_frames=5), "motion")
    a, b = block.start(CTX), block.start(CTX)
    for i in range(40):
        run(block, a, [scene(i, None)])
        run(block, b, [scene(i, (100, 100), noise_seed=1)])
    probe = scene(40, (100, 100), noise_seed=2)
    found_a = run(block, a, [probe])[0]
    found_b = run(block, b, [probe])[0]
    assert len(found_a) == 1 and iou(found_a.xyxy[0], (100, 100, 160, 140)) > 0.6
    assert len(found_b) == 0


def test_small_learning_rate_keeps_a_stopped_object_visible():
    """With auto learning a parked object melts into the background; a small learning rate keeps it."""
    def frames_after_stop(learning_rate: float) -> int:
        block = MotionDetector(MotionConfig(history=50, warmup_frames=5, learning_rate=learning_rate), "motion")
        state = block.start(CTX)
        assert not any(run(block, state, [scene(i, None) for i in range(30)]))  # background learned in warm-up
        out = run(block, state, [scene(30 + i, (150, 60)) for i in range(150)])
        return sum(len(d) == 1 for d in out)

    assert frames_after_stop(-1.0) < 100
    assert frames_after_stop(0.0001) == 150
    assert frames_after_stop(0.0) == 150


def test_min_area_and_class_name():
    frames = [scene(i, None) for i in range(10)] + [scene(10, (100, 100))]
    for min_area, expected in ((RECT[0] * RECT[1] // 2, 1), (RECT[0] * RECT[1] * 4, 0)):
        block = MotionDetector(MotionConfig(warmup_frames=3, min_area=min_area, class_name="vehicle"), "motion")
        dets = run(block, block.start(CTX), frames)[-1]
        assert len(dets) == expected
        assert dets.data["class_name"].tolist() == ["vehicle"] * expected


def test_input_frame_is_not_changed():
    block = MotionDetector(MotionConfig(warmup_frames=0), "motion")
    state = block.start(CTX)
    frame = scene(0, (10, 10))
    before = frame.image.copy()
    run(block, state, [frame, scene(1, (40, 10))])
    assert np.array_equal(frame.image, before)


@pytest.mark.parametrize("bad", [{"blur": 4}, {"min_area": 500, "max_area": 100}, {"learning_rate": 2.0}])
def test_config_rejects_bad_values(bad):
    with pytest.raises(ValidationError):
        MotionConfig(**bad)
