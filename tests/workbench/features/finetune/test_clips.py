"""The clip library on real encoded clips: import (path, upload), metadata, thumbnail, tags, refusals, CLI."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from support import decoded_frames

from workbench.core.errors import WorkbenchError
from workbench.features.finetune.cli_clips import add_parsers
from workbench.features.finetune.clips import CLIP_ID_PATTERN, THUMB_WIDTH, ClipLibrary
from workbench.features.synth import generate, get


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    """A 4 s synthetic street clip (25 fps, 640x360, H.264): 100 frames."""
    scenario = dataclasses.replace(get("traffic"), duration=4.0)
    return generate(scenario, tmp_path_factory.mktemp("clip"), seed=0).video


@pytest.fixture
def lib(tmp_path, monkeypatch) -> ClipLibrary:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    return ClipLibrary()


def problem(exc: pytest.ExceptionInfo[WorkbenchError]):
    assert len(exc.value.problems) == 1
    return exc.value.problems[0]


def mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


def test_import_round_trips_metadata_and_makes_a_middle_frame_thumbnail(lib, video):
    clip = lib.import_clip(video, name="Gate east", camera="cam-07", site="工地 A", tags=["night", " truck ", "night"])
    assert re.match(CLIP_ID_PATTERN, clip.id) and clip.id.startswith("traffic-s0-")
    assert (clip.fps, clip.frame_count, clip.duration_s, clip.width, clip.height) == (25.0, 100, 4.0, 640, 360)
    assert clip.codec == "h264" and clip.stored == "copied" and clip.original_path == str(video.resolve())
    assert (clip.name, clip.camera, clip.site, clip.tags) == ("Gate east", "cam-07", "工地 A", ["night", "truck"])

    again = ClipLibrary().get(clip.id)  # a fresh library reads clip.json from disk
    assert again == clip
    assert [c.id for c in ClipLibrary().list()] == [clip.id]
    on_disk = json.loads((lib.root / clip.id / "clip.json").read_text(encoding="utf-8"))
    assert on_disk["site"] == "工地 A" and on_disk["frame_count"] == 100

    thumb = cv2.imread(str(lib.thumbnail_path(clip.id)))
    assert thumb.shape == (180, THUMB_WIDTH, 3)
    frames = [cv2.resize(f, (THUMB_WIDTH, 180), interpolation=cv2.INTER_AREA) for f in decoded_frames(video)]
    assert int(np.argmin([mad(thumb, f) for f in frames])) == 50  # the middle frame, of all 100


def test_the_same_file_imported_twice_is_one_clip(lib, video):
    first = lib.import_clip(video, tags=["a"])
    second = lib.import_clip(video, name="other name", tags=["b"])
    assert second == first
    assert len(lib.list()) == 1


def test_copied_clip_survives_the_original_moving_and_referenced_does_not(lib, video, tmp_path):
    original = tmp_path / "upload" / "gate.mp4"
    original.parent.mkdir()
    shutil.copy(video, original)
    copied = lib.import_clip(original)
    original.unlink()
    path = lib.video_path(copied)
    assert path.parent == lib.root / copied.id and len(decoded_frames(path)) == 100

    shutil.copy(video, tmp_path / "kept.mp4")
    referenced = lib.import_clip(tmp_path / "kept.mp4", copy=False)
    assert referenced.stored == "referenced" and lib.video_path(referenced) == (tmp_path / "kept.mp4").resolve()
    assert not list((lib.root / referenced.id).glob("video*"))
    lib.remove(referenced.id)
    assert (tmp_path / "kept.mp4").is_file() and [c.id for c in lib.list()] == [copied.id]

    again = lib.import_clip(tmp_path / "kept.mp4", copy=False)
    (tmp_path / "kept.mp4").unlink()
    with pytest.raises(WorkbenchError) as exc:
        lib.video_path(again.id)
    assert problem(exc).code == "clip_video_missing" and problem(exc).params["clip"] == again.id


def test_upload_with_a_chinese_file_name_gets_a_safe_id(lib, video):
    with open(video, "rb") as f:
        clip = lib.import_bytes(f, "工地 大门 2026.mp4", camera="gate")
    assert re.match(CLIP_ID_PATTERN, clip.id) and clip.id.startswith("2026-")
    assert clip.name == "工地 大门 2026" and clip.original_path == "工地 大门 2026.mp4" and clip.frame_count == 100
    assert len(decoded_frames(lib.video_path(clip))) == 100
    assert sorted(p.name for p in lib.root.iterdir()) == [clip.id]  # no upload or staging leftovers


def test_text_file_named_mp4_is_refused_and_leaves_nothing_behind(lib, tmp_path):
    fake = tmp_path / "camera1.mp4"
    fake.write_text("this is not a video\n")
    with pytest.raises(WorkbenchError) as exc:
        lib.import_clip(fake)
    p = problem(exc)
    assert (p.code, p.field, p.params["path"]) == ("clip_not_video", "path", str(fake))
    with pytest.raises(WorkbenchError) as exc:
        lib.import_bytes(b"\x00" * 1000, "upload.mp4")
    assert problem(exc).code == "clip_not_video" and problem(exc).params["path"] == "upload.mp4"
    assert lib.list() == [] and list(lib.root.iterdir()) == []


def test_missing_file_and_still_image_are_refused(lib, tmp_path):
    with pytest.raises(WorkbenchError) as exc:
        lib.import_clip(tmp_path / "nope.mp4")
    assert problem(exc).code == "clip_missing"
    still = tmp_path / "still.jpg"
    cv2.imwrite(str(still), np.full((90, 160, 3), 128, np.uint8))
    with pytest.raises(WorkbenchError) as exc:
        lib.import_clip(still)
    assert problem(exc).code == "clip_too_short" and problem(exc).params["frames"] == 1


def test_update_changes_tags_and_names_and_persists(lib, video):
    clip = lib.import_clip(video, tags=["day"])
    updated = lib.update(clip.id, tags=["day", "", " rain ", "rain"], camera="cam-2")
    assert (updated.tags, updated.camera, updated.name) == (["day", "rain"], "cam-2", clip.name)
    assert ClipLibrary().get(clip.id) == updated


@pytest.mark.parametrize("bad", ["nope-123", "../clips", "a/b", ""])
def test_unknown_or_malformed_id_is_a_problem(lib, video, bad):
    lib.import_clip(video)
    with pytest.raises(WorkbenchError) as exc:
        lib.get(bad)
    assert problem(exc).code == "clip_unknown" and problem(exc).field == "clip"


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="workbench")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_imports_and_lists(lib, video, capsys):
    assert run_cli(["clips", "import", str(video), "--name", "Gate", "--camera", "c1", "--tag", "a", "b"]) == 0
    capsys.readouterr()
    assert run_cli(["clips", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(c["name"], c["camera"], c["tags"], c["frame_count"]) for c in listed] == [("Gate", "c1", ["a", "b"], 100)]
    assert run_cli(["clips", "remove", listed[0]["id"]]) == 0
    assert lib.list() == []


def test_a_viewer_cannot_change_the_library_and_each_change_is_recorded_with_who(lib, video):
    from workbench.records import audit
    from workbench.records.roles import Actor

    viewer = Actor("zhao", "haidian", frozenset({"viewer"}))
    trainer = Actor("li", "haidian", frozenset({"trainer"}))
    with pytest.raises(WorkbenchError) as refused:
        lib.import_clip(video, actor=viewer)
    assert refused.value.problems[0].code == "access_denied" and lib.list() == []
    clip = lib.import_clip(video, actor=trainer)
    with pytest.raises(WorkbenchError):
        lib.remove(clip.id, actor=viewer)
    lib.remove(clip.id, actor=trainer)
    recorded = [(e.actor, e.action, e.target) for e in audit.entries(action="clip")]
    assert recorded[-2:] == [("li", "clip.import", clip.id), ("li", "clip.remove", clip.id)]


def test_a_viewer_cannot_extract_frames_or_build_a_dataset(lib, video):
    from workbench.features.finetune import sampling
    from workbench.features.labeling.dataset import build_dataset
    from workbench.records.roles import Actor

    viewer = Actor("zhao", "haidian", frozenset({"viewer"}))
    clip = lib.import_clip(video)
    for attempt in (lambda: sampling.extract([sampling.FrameRef(clip.id, 0, 0.0, "uniform")], actor=viewer),
                    lambda: build_dataset([], actor=viewer)):
        with pytest.raises(WorkbenchError) as refused:
            attempt()
        assert refused.value.problems[0].code == "access_denied" and "zhao" in refused.value.problems[0].message()
    assert not sampling.load_index(clip.id)  # nothing was written
