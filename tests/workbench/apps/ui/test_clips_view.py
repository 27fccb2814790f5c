"""Pure helpers of the "Clips & labels" page: tags, sizes, sampling options -> sampler calls, reasons, the Label
Studio connection check, extracted and pulled material, dataset counts and error texts."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from workbench.apps.ui import clips_view as view
from workbench.core.errors import Problem, WorkbenchError
from workbench.features.finetune import sampling
from workbench.features.finetune.clips import ClipLibrary
from workbench.features.labeling.dataset import Sample, write_dataset
from workbench.features.synth import generate, get


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    """A 4 s synthetic street clip (25 fps, 640x360): 100 frames."""
    return generate(dataclasses.replace(get("traffic"), duration=4.0), tmp_path_factory.mktemp("clip")).video


@pytest.fixture(scope="module")
def still_video(tmp_path_factory) -> Path:
    """2 s of one unchanging blue-ish picture (BGR 200, 60, 10) with a white square."""
    path = tmp_path_factory.mktemp("still") / "still.mp4"
    image = np.zeros((240, 320, 3), np.uint8)
    image[:] = (200, 60, 10)
    image[80:160, 120:200] = 255
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (320, 240))
    for _ in range(50):
        writer.write(image)
    writer.release()
    return path


@pytest.fixture
def lib(tmp_path, monkeypatch) -> ClipLibrary:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    return ClipLibrary()


def test_tags_split_on_western_and_chinese_separators():
    assert view.parse_tags(" night, rain，渣土车、night ;  ; 工地 ") == ["night", "rain", "渣土车", "工地"]
    assert view.parse_tags("") == []


def test_sizes_and_durations_read_like_people_write_them():
    assert [view.human_size(n) for n in (512, 111_000, 12_900_000, 3 * 1024**3)] == [
        "512 B", "108 KB", "12.3 MB", "3.0 GB"]
    assert [view.human_duration(s) for s in (4.0, 59.6, 750, 3723)] == ["0:04", "1:00", "12:30", "1:02:03"]


def test_class_lists_keep_order_and_pinned_ids_allow_only_appending():
    assert view.parse_classes(" muck_truck \n\ncar\r\nperson\n") == ["muck_truck", "car", "person"]
    assert not view.reorders_pinned(["truck", "car"], ["truck", "car", "bus"])
    assert view.reorders_pinned(["truck", "car"], ["car", "truck"])
    assert view.reorders_pinned(["truck", "car"], ["truck"])
    assert view.reorders_pinned(["truck", "car"], ["truck", "van"])
    assert view.project_link("http://127.0.0.1:8080/", 7) == "http://127.0.0.1:8080/projects/7/data"


def test_uniform_options_call_the_uniform_sampler_and_give_rgb_previews(lib, video):
    clip = lib.import_clip(video)
    out = view.run_sampling(clip, view.SamplingOptions("uniform", every_s=0.5, dedupe=False), lib, thumb_width=160)
    assert out.refs == sampling.uniform(clip, every_s=0.5, library=lib)
    assert len(out.thumbs) == len(out.refs) == 8
    first = cv2.cvtColor(cv2.VideoCapture(str(lib.video_path(clip))).read()[1], cv2.COLOR_BGR2RGB)
    assert out.thumbs[0].shape == (90, 160, 3)
    expected = cv2.resize(first, (160, 90), interpolation=cv2.INTER_AREA)
    assert np.abs(out.thumbs[0].astype(int) - expected.astype(int)).mean() < 2

    limited = view.run_sampling(clip, view.SamplingOptions("uniform", every_s=0.5, dedupe=False, max_frames=3), lib)
    assert [r.frame_index for r in limited.refs] == [0, 50, 88]


def test_dedupe_drops_a_still_picture_down_to_one_frame(lib, still_video):
    clip = lib.import_clip(still_video)
    kept = view.run_sampling(clip, view.SamplingOptions("uniform", every_s=0.2, dedupe=True), lib)
    every = view.run_sampling(clip, view.SamplingOptions("uniform", every_s=0.2, dedupe=False), lib)
    assert len(every.refs) == 10 and [r.frame_index for r in kept.refs] == [0]
    r, _g, b = kept.thumbs[0][5, 5]
    assert r < 40 and b > 170  # RGB for st.image (the video is BGR 200, 60, 10)


def test_scene_reasons_say_how_much_of_the_picture_changed(lib, video):
    clip = lib.import_clip(video)
    out = view.run_sampling(clip, view.SamplingOptions("scene", threshold=0.02, dedupe=False), lib)
    assert out.refs == sampling.scene_change(clip, threshold=0.02, library=lib)
    assert len(out.refs) >= 2
    key, params = view.reason_params(out.refs[1])
    assert key == "app.clips.reason.scene"
    assert params == {"time": f"{out.refs[1].pts:.1f}", "changed": f"{out.refs[1].score * 100:.0f}"}
    assert int(params["changed"]) >= 2


def test_model_options_use_the_detector_and_report_its_doubts(lib, video):
    clip = lib.import_clip(video)
    asked: list[str] = []

    def motion(model_id: str):
        asked.append(model_id)
        return sampling.motion_detector()

    out = view.run_sampling(clip, view.SamplingOptions("model", model_id=" motion ", dedupe=False, max_frames=3), lib,
                            detector=motion)
    assert asked == ["motion"] and 1 <= len(out.refs) <= 3
    for ref in out.refs:
        key, params = view.reason_params(ref)
        assert key == "app.clips.reason.model"
        told = dict(pair.split("=") for pair in ref.reason.split())
        assert params["uncertain"] == f"{float(told['uncertain']):.2f}"
        assert [params[k] for k in ("lost", "new", "unmatched")] == [int(told[k]) for k in ("lost", "new", "unmatched")]

    with pytest.raises(WorkbenchError) as exc:
        view.run_sampling(clip, view.SamplingOptions("model", model_id="  "), lib, detector=motion)
    assert exc.value.problems[0].code == "frames_model_required"


def test_bad_options_are_the_samplers_problems(lib, video):
    clip = lib.import_clip(video)
    with pytest.raises(WorkbenchError) as exc:
        view.run_sampling(clip, view.SamplingOptions("scene", threshold=1.5), lib)
    assert exc.value.problems[0].code == "sampling_bad_threshold"


def test_extracted_frames_become_labeling_references(lib, video):
    clip = lib.import_clip(video)
    assert view.extracted_frames([clip.id]) == []
    refs = sampling.uniform(clip, every_s=2.0, library=lib)
    sampling.extract(refs, library=lib)
    (sampling.frames_dir() / clip.id / f"{refs[-1].frame_index:06d}.jpg").unlink()  # deleted by hand: not offered
    frames = view.extracted_frames([clip.id])
    assert [(f.clip, f.frame) for f in frames] == [(clip.id, r.frame_index) for r in refs[:-1]]
    assert all(f.path.is_file() and f.path.parent == sampling.frames_dir() / clip.id for f in frames)


def test_connection_problems_without_url_token_or_server(lib, monkeypatch):
    from workbench.features.labeling.server import free_port

    status = view.check_connection()
    assert not status.connected and [p.code for p in status.problems] == ["labelstudio_no_url"]

    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("LABEL_STUDIO_URL", url)
    assert [p.code for p in view.check_connection().problems] == ["labelstudio_no_token"]

    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "secret-token-value")
    status = view.check_connection(timeout=3)
    assert not status.connected and status.url == url and status.token_source == "LABEL_STUDIO_API_KEY"
    [problem] = status.problems
    assert problem.code == "labelstudio_unreachable" and problem.params["url"] == url
    assert "secret-token-value" not in repr(status)


def _store(home: Path, server: str, project_id: int, title: str, records: list[dict]) -> Path:
    """A pulled project store in the layout workbench.features.labeling.pull writes."""
    store = home / "labeling" / server / f"project-{project_id}"
    (store / "tasks").mkdir(parents=True)
    state = {"cursor": None, "tasks": {str(r["task"]): {} for r in records},
             "project": {"id": project_id, "title": title, "classes": ["truck", "car"], "kind": "image"}}
    (store / "state.json").write_text(json.dumps(state), encoding="utf-8")
    for r in records:
        (store / "tasks" / f"{r['task']}.json").write_text(json.dumps(r), encoding="utf-8")
    return store


def test_pulled_projects_are_found_in_the_home(tmp_path):
    assert view.pulled_projects(tmp_path) == []
    records = [{"task": 2, "data": {"clip": "gate-b", "source": "frames/gate-b/000010.jpg"}, "annotation": {}},
               {"task": 1, "data": {"clip": "gate-a", "source": "frames/gate-a/000000.jpg"}, "annotation": {}},
               {"task": 3, "data": {"clip": "gate-a", "source": "frames/gate-a/000025.jpg"}, "annotation": {}}]
    store = _store(tmp_path, "127.0.0.1_8080", 4, "muck trucks", records)
    (tmp_path / "labeling" / "127.0.0.1_8080" / "project-9").mkdir()  # created, never pulled into: not listed
    [found] = view.pulled_projects(tmp_path)
    assert (found.store, found.project_id, found.title, found.tasks, found.clips) == (
        store, 4, "muck trucks", 3, ["gate-a", "gate-b"])
    assert found.label() == "muck trucks (#4, 127.0.0.1_8080)"


def test_split_counts_count_images_and_boxes_per_split(tmp_path):
    image = tmp_path / "frame.jpg"
    cv2.imwrite(str(image), np.full((64, 96, 3), 128, np.uint8))
    box = (0.5, 0.5, 0.2, 0.2)
    samples = [Sample("a", "a__1", [(0, box), (1, box)], image=image), Sample("a", "a__2", [(0, box)], image=image),
               Sample("b", "b__1", [(1, box)], image=image), Sample("b", "b__2", [], image=image)]
    info = write_dataset(samples, ["truck", "car"], out_root=tmp_path / "ds", val_clips=["b"])
    assert view.split_counts(info) == [{"split": "train", "images": 2, "boxes": 3, "clips": "a"},
                                       {"split": "val", "images": 2, "boxes": 1, "clips": "b"}]


def test_errors_become_translated_sentences():
    exc = WorkbenchError([Problem("clip_missing", field="path", params={"path": "/x.mp4"}),
                          Problem("labelstudio_no_url", node="labelstudio")])
    assert view.error_messages(exc, "zh") == [p.message("zh") for p in exc.problems]
    assert view.error_messages(exc, "en")[0].startswith("video file /x.mp4 does not exist")
    [line] = view.error_messages(RuntimeError("disk on fire\nsecond line"), "en")
    assert "RuntimeError: disk on fire" in line and "second line" not in line
