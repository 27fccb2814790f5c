"""The batched path of the ONNX runtime on the bundled NanoDet and real frames (vtest.avi): several frames in one call,
each decoded with its own placement and its own selection, equal to the frames run alone; a file that takes one frame
per run (or claims a batch its graph cannot carry) runs them one after another in the same call."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest
import supervision as sv
from onnx_batch_support import NANODET, batch_copy

from workbench.models import onnx_detect, zoo


class _CountingSession:
    """An onnxruntime session that counts its runs and the frames each run carried."""

    def __init__(self, inner) -> None:
        self.inner, self.frames = inner, []

    def run(self, names, feeds):
        self.frames.append(next(iter(feeds.values())).shape[0])
        return self.inner.run(names, feeds)


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("nanodet-batch")
    return {layout: batch_copy(NANODET, folder / f"{layout}.onnx", layout)
            for layout in ("dynamic", "fixed", "reshape_one")}


@pytest.fixture(scope="module")
def frames(vtest_video: Path) -> list[np.ndarray]:
    """Four real frames, the last one cropped to another size (its own placement)."""
    capture, images = cv2.VideoCapture(str(vtest_video)), []
    for index in range(120):
        ok, image = capture.read()
        assert ok
        if index % 30 == 0:
            images.append(image)
    capture.release()
    images[3] = np.ascontiguousarray(images[3][100:500, 50:700])
    return images


def detector(path: Path) -> tuple[onnx_detect.OnnxDetector, _CountingSession]:
    manifest = zoo.read_manifest(NANODET.with_suffix(".yaml"))
    spec = onnx_detect.ModelSpec(manifest.format, tuple(manifest.classes), manifest.preprocess, manifest.decoder)
    built = onnx_detect.build_detector(onnx_detect.open_session(path), spec)
    counting = _CountingSession(built.session.session)
    built.session = dataclasses.replace(built.session, session=counting)
    return built, counting


def selections(names) -> list[onnx_detect.Selection]:
    build = onnx_detect.Selection.build
    return [build(names, 0.35, ["person"]), build(names, 0.3, ["car", "truck"], agnostic=False),
            build(names, 0.2), build(names, 0.35, max_det=2)]


def same(ours: sv.Detections, alone: sv.Detections) -> None:
    assert ours.data["class_name"].tolist() == alone.data["class_name"].tolist()
    np.testing.assert_allclose(ours.xyxy, alone.xyxy, atol=1e-3)
    np.testing.assert_allclose(ours.confidence, alone.confidence, atol=1e-5)


@pytest.mark.parametrize("layout", ["dynamic", "fixed", "reshape_one"])
def test_a_batch_gives_every_frame_what_it_gets_alone(copies, frames, layout):
    model, runs = detector(copies[layout])
    chosen = selections(model.names)
    alone = [model.detect(image, sel) for image, sel in zip(frames, chosen, strict=True)]
    runs.frames.clear()
    together = model.detect_batch(frames, chosen)
    for ours, reference in zip(together, alone, strict=True):
        same(ours, reference)
    assert runs.frames == ([4] if layout == "dynamic" else [1, 1, 1, 1])  # one run of 4, or 4 runs in one call
    assert model.stacks == (layout == "dynamic")
    assert {n for n in alone[0].data["class_name"]} == {"person"} and len(alone[0]) >= 3
    assert len(alone[3]) <= 2 and len(alone[2]) > len(alone[3])


def test_one_frame_runs_exactly_as_before(copies, frames):
    """A batch of one is the single-frame run: same tensor, same outputs, bit for bit."""
    model, _ = detector(copies["dynamic"])
    chosen = selections(model.names)[2]
    assert model.detect_batch(frames[:1], [chosen])[0] == model.detect(frames[0], chosen)
    outputs, placement = model.infer(frames[3])
    batched, placements = model.infer_batch(frames[3:])
    assert placements == [placement]
    assert all(np.array_equal(a, b) for a, b in zip(batched[0], outputs, strict=True))


def test_the_bundled_model_is_read_from_its_session(frames):
    """Whatever the committed file's batch dimension is, the detector reads it from the session."""
    model, _ = detector(NANODET)
    assert model.session.batch in (None, 1)
    assert model.stacks == (model.session.batch is None)
