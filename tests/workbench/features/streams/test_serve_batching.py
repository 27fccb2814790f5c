"""`workbench serve` with three cameras on a NanoDet pipeline: the model is loaded once, the cameras' frames share
model calls, and every camera's events are exactly those it raises when it runs alone (real footage: three
segments of vtest.avi, people counted on a line)."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from onnx_batch_support import import_nanodet_copies
from stream_support import read_events

from workbench.engine.spec import PipelineSpec, parse_spec
from workbench.features.streams.cameras import CameraEntry
from workbench.features.streams.serve import Server
from workbench.models import onnx_detect

SEGMENTS = (0, 250, 500)  # first frame of each camera's clip in vtest.avi; 80 frames (8 s) each


def segments(vtest: Path, folder: Path) -> list[Path]:
    capture, frames = cv2.VideoCapture(str(vtest)), []
    ok, image = capture.read()
    while ok and len(frames) < SEGMENTS[-1] + 80:
        frames.append(image)
        ok, image = capture.read()
    capture.release()
    paths = []
    for k, start in enumerate(SEGMENTS):
        path = folder / f"cam{k}.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (768, 576))
        for frame in frames[start:start + 80]:
            writer.write(frame)
        writer.release()
        paths.append(path)
    return paths


def people_count(model: str) -> PipelineSpec:
    return parse_spec({
        "version": 1, "meta": {"name": "people-count"},
        "nodes": [
            {"id": "src", "type": "sources/stream@v1",
             "config": {"url": "set per camera", "realtime": False, "drop_policy": "every",
                        "start_time": "2026-12-07T08:00:00"}},
            {"id": "det", "type": "detection/onnx@v1",
             "config": {"model": model, "classes": ["person"], "batch_wait_ms": 50}},
            {"id": "trk", "type": "tracking/bytetrack@v1", "config": {}},
            {"id": "line", "type": "rules/line_crossing@v1",
             "config": {"name": "walk_line", "start": [300, 0], "end": [300, 576]}},
            {"id": "events", "type": "sinks/events_file@v1", "config": {"formats": ["jsonl"]}},
        ],
        "edges": [{"from": "src.frames", "to": "det.image"}, {"from": "det.detections", "to": "trk.detections"},
                  {"from": "trk.tracks", "to": "line.tracks"}, {"from": "line.events", "to": "events.events"}]})


def untimed(events: list[dict]) -> list[dict]:
    """Events without their times: a file played as a live stream stamps frames with the reading clock."""
    return [{k: v for k, v in e.items() if k not in ("time", "pts")} for e in events]


def serve(spec: PipelineSpec, cameras: list[CameraEntry], out: Path) -> Server:
    server = Server(spec, cameras, out).start()
    assert server.wait(300), "the cameras did not finish their clips"
    server.stop()
    assert [run.status for run in server.runs] == ["done"] * len(cameras), [run.error for run in server.runs]
    return server


@pytest.mark.slow
def test_three_cameras_load_nanodet_once_share_calls_and_count_as_they_do_alone(zoo_home, vtest_video, tmp_path,
                                                                                 monkeypatch):
    model = import_nanodet_copies(tmp_path / "models", ("dynamic",))["dynamic"]  # a new file: not loaded yet
    opened: list[Path] = []
    real_open = onnx_detect.open_session

    def counting_open(path, *args, **kwargs):
        opened.append(Path(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(onnx_detect, "open_session", counting_open)
    clips = segments(vtest_video, tmp_path)
    cameras = [CameraEntry(id=f"cam{k}", url=str(clip)) for k, clip in enumerate(clips)]
    spec = people_count(model)

    together = serve(spec, cameras, tmp_path / "together")
    assert len(opened) == 1  # three cameras, three compiled pipelines, one loaded model
    blocks = [next(n.block for n in run.compiled.nodes if n.id == "det") for run in together.runs]
    batcher = blocks[0]._batcher
    assert all(b._detector is blocks[0]._detector and b._batcher is batcher for b in blocks)
    sizes = dict(batcher.sizes)
    assert batcher.items == 240 and max(sizes) == 3 and batcher.items / batcher.batches > 1.5, sizes

    for cam in cameras:
        serve(spec, [cam], tmp_path / f"alone-{cam.id}")
    assert len(opened) == 1
    counted = []
    for cam in cameras:
        ours = untimed(read_events(tmp_path / "together" / cam.id / "events.jsonl"))
        alone = untimed(read_events(tmp_path / f"alone-{cam.id}" / cam.id / "events.jsonl"))
        assert ours == alone, cam.id
        counted.append(len(ours))
    assert min(counted) >= 1 and sum(counted) >= 5, counted  # people did cross the line on every camera
