"""Frame sampling on real encoded synthetic clips: uniform, scene cuts, near-duplicates, model-driven, extraction."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import supervision as sv
from support import decoded_frames

from workbench.core.errors import WorkbenchError
from workbench.features.finetune import sampling
from workbench.features.finetune.cli_clips import add_parsers
from workbench.features.finetune.clips import Clip, ClipLibrary
from workbench.features.synth import compute_truth, generate, get, render_frames
from workbench.features.synth.scenarios import west
from workbench.media.video_io import H264Writer
from workbench.models.zoo import import_weights

FPS = 25
CUT = 50  # first frame of the second scene in the cut clip


@pytest.fixture(scope="module")
def traffic(tmp_path_factory) -> tuple[Path, dict]:
    """6 s of two-way traffic (150 frames) and its ground truth."""
    scenario = dataclasses.replace(get("traffic"), duration=6.0)
    return generate(scenario, tmp_path_factory.mktemp("traffic")).video, compute_truth(scenario, 0)


@pytest.fixture(scope="module")
def cut_video(tmp_path_factory) -> Path:
    """2 s of one street camera, then 2 s of another camera (a different street seen upside down)."""
    first = render_frames(dataclasses.replace(get("traffic"), duration=2.0), 0)
    second = render_frames(dataclasses.replace(get("muck_truck"), duration=2.0), 3)
    path = tmp_path_factory.mktemp("cut") / "cut.mp4"
    with H264Writer(path, FPS, (640, 360)) as writer:
        for img in first:
            writer.write(img)
        for img in second:
            writer.write(cv2.rotate(img, cv2.ROTATE_180))
    return path


@pytest.fixture(scope="module")
def bus_video(tmp_path_factory) -> Path:
    """4 s of an empty street; a bus drives in at 2 s (frame 50)."""
    scenario = dataclasses.replace(get("traffic"), name="bus", duration=4.0, actors=(west(1, "bus", 2.0, speed=200),))
    return generate(scenario, tmp_path_factory.mktemp("bus")).video


@pytest.fixture
def lib(tmp_path, monkeypatch) -> ClipLibrary:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    return ClipLibrary()


def indices(refs: list[sampling.FrameRef]) -> list[int]:
    return [r.frame_index for r in refs]


def code_of(exc: pytest.ExceptionInfo[WorkbenchError]) -> str:
    return exc.value.problems[0].code


# -- uniform / scene / dedupe ------------------------------------------------------------------------------------------
def test_uniform_gives_one_frame_per_interval(lib, traffic):
    clip = lib.import_clip(traffic[0])
    assert indices(sampling.uniform(clip, every_s=1.0)) == [0, 25, 50, 75, 100, 125]
    half = sampling.uniform(clip.id, every_s=0.5)
    assert len(half) == 12
    for k, ref in enumerate(half):  # the frame nearest to every multiple of 0.5 s
        assert abs(ref.pts - 0.5 * k) <= 0.5 / FPS + 1e-9 and ref.pts == ref.frame_index / FPS
        assert (ref.clip_id, ref.method) == (clip.id, "uniform")
    with pytest.raises(WorkbenchError) as exc:
        sampling.uniform(clip, every_s=0)
    assert code_of(exc) == "sampling_bad_interval"


def test_scene_change_finds_the_cut_and_nothing_else(lib, cut_video):
    clip = lib.import_clip(cut_video)
    refs = sampling.scene_change(clip)
    assert indices(refs) == [0, CUT]
    assert refs[1].method == "scene" and refs[1].score > 0.5
    # a threshold as small as a car's share of the picture keeps frames as traffic moves, before the cut too
    sensitive = indices(sampling.scene_change(clip, threshold=0.005))
    assert CUT in sensitive and len([i for i in sensitive if 0 < i < CUT]) >= 2
    with pytest.raises(WorkbenchError) as exc:
        sampling.scene_change(clip, threshold=1.5)
    assert code_of(exc) == "sampling_bad_threshold"


def test_dedupe_drops_a_static_stretch_but_keeps_changed_frames(lib, bus_video, cut_video):
    clip = lib.import_clip(bus_video)
    refs = sampling.uniform(clip, every_s=0.25)  # 16 frames: 8 of an empty street, then the bus crossing
    kept = indices(sampling.dedupe(refs))
    static = [i for i in kept if i < 50]
    moving = [i for i in kept if i >= 55]
    assert static == [0]
    assert len(moving) >= 4, kept

    cut = lib.import_clip(cut_video)
    kept_cut = indices(sampling.dedupe(sampling.uniform(cut, every_s=0.5)))
    assert kept_cut[0] == 0 and CUT in kept_cut  # the first frame of the other camera is new
    assert indices(sampling.dedupe(refs, max_distance=-1)) == indices(refs)  # -1: nothing is a duplicate


# -- model-driven ------------------------------------------------------------------------------------------------------
def truth_detector(truth: dict, confidence, hidden=lambda track, frame: False):
    """Detections = the true boxes of every visible actor, with `confidence(class)`; `hidden` drops some.
    Called once per frame in order (as model_driven does), so the call count is the frame index."""
    calls = iter(range(10**9))

    def detect(image: np.ndarray) -> sv.Detections:
        i = next(calls)
        boxes, conf = [], []
        for tr in truth["tracks"]:
            if tr["first_frame"] <= i <= tr["last_frame"] and not hidden(tr["id"], i):
                boxes.append(tr["boxes"][i - tr["first_frame"]])
                conf.append(confidence(tr["class"]))
        return sv.Detections(xyxy=np.array(boxes, dtype=np.float32).reshape(-1, 4),
                             confidence=np.array(conf, dtype=np.float32), class_id=np.zeros(len(boxes), dtype=int))

    return detect


def visible(truth: dict, frame: int) -> set[str]:
    return {tr["class"] for tr in truth["tracks"] if tr["first_frame"] <= frame <= tr["last_frame"]}


def test_model_driven_picks_frames_where_the_model_is_unsure(lib, traffic):
    video, truth = traffic
    clip = lib.import_clip(video)
    sure = sampling.model_driven(clip, truth_detector(truth, lambda cls: 0.95))
    assert sure == []  # a detector that is right and confident everywhere leaves nothing to label

    unsure_of_trucks = truth_detector(truth, lambda cls: 0.4 if cls in ("truck", "bus") else 0.95)
    refs = sampling.model_driven(clip, unsure_of_trucks, max_frames=3, min_gap_s=1.0)
    assert len(refs) == 3 and all(r.method == "model" and r.score > 0 for r in refs)
    assert all(visible(truth, r.frame_index) & {"truck", "bus"} for r in refs), refs
    assert all(b - a >= FPS for a, b in zip(indices(refs), indices(refs)[1:], strict=False))
    truck_frames = [i for i in range(clip.frame_count) if visible(truth, i) & {"truck", "bus"}]
    assert len(truck_frames) < clip.frame_count * 0.6  # trucks are not everywhere: the choice means something


def test_model_driven_finds_where_the_detector_loses_a_track(lib, traffic):
    video, truth = traffic
    clip = lib.import_clip(video)
    car = next(tr for tr in truth["tracks"] if tr["class"] == "car" and tr["last_frame"] - tr["first_frame"] > 100)
    gap = range(car["first_frame"] + 45, car["first_frame"] + 49)  # mid-picture: the detector misses it 4 frames
    flicker = truth_detector(truth, lambda cls: 0.95, hidden=lambda track, i: track == car["id"] and i in gap)
    refs = sampling.model_driven(clip, flicker, min_gap_s=0.0)
    assert refs and set(indices(refs)) <= {gap.start, gap.stop}, refs
    assert "lost=1" in refs[0].reason
    no_tracker = sampling.model_driven(clip, truth_detector(truth, lambda cls: 0.95, hidden=lambda t, i: t == car[
        "id"] and i in gap), tracker=False)
    assert no_tracker == []  # confidence alone cannot see a miss


def test_model_driven_runs_with_the_motion_detector(lib, traffic):
    clip = lib.import_clip(traffic[0])
    refs = sampling.model_driven(clip, sampling.motion_detector(warmup_frames=10), band=(0.3, 0.9), max_frames=5)
    assert 1 <= len(refs) <= 5
    assert indices(refs) == sorted(indices(refs)) and all(0 <= i < clip.frame_count for i in indices(refs))
    assert all(r.score > 0 and r.reason for r in refs)


def test_model_driven_with_a_model_zoo_detector(zoo_home, untrained_pt, traffic):
    import_weights(untrained_pt, "tiny-untrained")
    clip = ClipLibrary().import_clip(traffic[0])
    detect = sampling.zoo_detector("tiny-untrained", conf=0.0001, imgsz=160, device="cpu")
    dets = detect(cv2.imread(str(ClipLibrary().thumbnail_path(clip.id))))
    assert len(dets) > 0 and dets.confidence.max() < 0.01  # random weights: many boxes, all barely believed
    refs = sampling.model_driven(clip, detect, band=(0.0, 0.01), tracker=False, every_s=0.5, max_frames=3)
    assert len(refs) == 3 and all(r.score > 0 for r in refs)
    assert all(r.frame_index % round(0.5 * FPS) == 0 for r in refs)
    with pytest.raises(WorkbenchError) as exc:
        sampling.model_driven(clip, detect, band=(0.5, 0.2))
    assert code_of(exc) == "sampling_bad_band"


# -- extraction --------------------------------------------------------------------------------------------------------
def test_extract_writes_jpegs_and_a_merged_index(lib, traffic):
    video, _ = traffic
    clip: Clip = lib.import_clip(video)
    refs = sampling.uniform(clip, every_s=2.0)
    paths = sampling.extract(refs)
    folder = Path(lib.root).parent / "frames" / clip.id
    assert paths == [folder / f"{i:06d}.jpg" for i in (0, 50, 100)]
    frames = decoded_frames(video)
    for ref, path in zip(refs, paths, strict=True):
        image = cv2.imread(str(path))
        assert float(np.abs(image.astype(np.float32) - frames[ref.frame_index]).mean()) < 2.0

    more = [sampling.FrameRef(clip.id, 75, 3.0, "model", 1.5, "uncertain=1.50")]
    sampling.extract(more)
    assert sampling.load_index(clip.id) == sorted(refs + more, key=lambda r: r.frame_index)
    index = json.loads((folder / "frames.json").read_text(encoding="utf-8"))
    assert index["clip_sha256"] == clip.sha256 and {e["file"] for e in index["frames"]} == {
        "000000.jpg", "000050.jpg", "000075.jpg", "000100.jpg"}

    with pytest.raises(WorkbenchError) as exc:
        sampling.extract([sampling.FrameRef(clip.id, 400, 16.0, "uniform")])
    assert code_of(exc) == "frames_unreadable"


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="workbench")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_samples_frames(lib, cut_video, capsys):
    clip = lib.import_clip(cut_video)
    assert run_cli(["frames", "sample", clip.id, "--method", "scene", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [f["frame_index"] for f in out] == [0, CUT] and all(Path(f["path"]).is_file() for f in out)
    assert run_cli(["frames", "sample", clip.id, "--every", "0.5", "--max", "3", "--dedupe", "-1", "--json"]) == 0
    assert [f["frame_index"] for f in json.loads(capsys.readouterr().out)] == [0, 50, 88]
    with pytest.raises(WorkbenchError) as exc:
        run_cli(["frames", "sample", clip.id, "--method", "model"])
    assert code_of(exc) == "frames_model_required"
