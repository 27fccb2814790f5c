"""Against a real Label Studio server (started by tests/services/labelstudio.py): projects, pre-annotations,
annotations made through the API as a labeler would, incremental pulls, and YOLO datasets whose labels equal the boxes.
"""

from __future__ import annotations

import cv2
import httpx
import numpy as np
import pytest
import yaml
from services.labelstudio import labelstudio  # noqa: F401  (module-scoped server fixture)

from workbench.core.errors import WorkbenchError
from workbench.features.labeling.boxes import Box
from workbench.features.labeling.client import connect
from workbench.features.labeling.config import classes_from_config
from workbench.features.labeling.dataset import build_dataset
from workbench.features.labeling.projects import ClipRef, FrameRef, ensure_project, push_clips, push_frames
from workbench.features.labeling.pull import pull
from workbench.features.synth import get, render_frames
from workbench.media.video_io import H264Writer

pytestmark = pytest.mark.slow
CLASSES = ["truck", "car"]  # alphabetical order would give car=0: ids must follow this list
# (clip, frame index in the synthetic clip, file suffix, labeled boxes in pixels: class, x1, y1, x2, y2)
FRAMES = [("cam1", 40, ".png", [("truck", 100, 80, 260, 200), ("car", 400, 150, 470, 190)]),
          ("cam1", 80, ".jpg", [("car", 0, 10, 64, 50)]),
          ("cam2", 120, ".png", [("truck", 320, 180, 640, 360)]),
          ("cam2", 160, ".jpg", [])]


def _write_frames(root):
    wanted = {f for _, f, _, _ in FRAMES}
    images = {}
    for i, img in enumerate(render_frames(get("traffic"), 0)):
        if i in wanted:
            images[i] = img
        if i >= max(wanted):
            break
    refs = []
    for clip, index, suffix, _ in FRAMES:
        path = root / "frames" / clip / f"{index:06d}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), images[index])
        refs.append(FrameRef(path, clip, index))
    return refs


def _labeler_result(boxes, width, height):
    """What the labeling page sends: rectangles in percent of the image."""
    return [{"from_name": "label", "to_name": "image", "type": "rectanglelabels", "original_width": width,
             "original_height": height, "image_rotation": 0,
             "value": {"x": x1 / width * 100, "y": y1 / height * 100, "width": (x2 - x1) / width * 100,
                       "height": (y2 - y1) / height * 100, "rotation": 0, "rectanglelabels": [cls]}}
            for cls, x1, y1, x2, y2 in boxes]


def _check_labels(info, boxes_by_name, width, height):
    for name, boxes in boxes_by_name.items():
        files = list(info.path.glob(f"labels/*/{name}.txt"))
        assert len(files) == 1, name
        lines = [line.split() for line in files[0].read_text().splitlines()]
        assert len(lines) == len(boxes)
        for line, (cls, x1, y1, x2, y2) in zip(sorted(lines), sorted(boxes, key=lambda b: CLASSES.index(b[0])),
                                               strict=True):
            assert int(line[0]) == CLASSES.index(cls)
            expected = [(x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height]
            assert [float(v) for v in line[1:]] == pytest.approx(expected, abs=1e-6)


def test_image_project_push_label_pull_and_yolo_dataset(labelstudio, tmp_path):  # noqa: F811
    ls = labelstudio
    client = connect(ls.url, ls.token)
    project = ensure_project(client, "site A muck trucks", CLASSES)
    refs = _write_frames(ls.document_root)

    def model(image):  # a stand-in for the current model: one car and one box of a class outside the list
        return [Box("car", 10, 20, 110, 80, score=0.7), Box("bus", 0, 0, 5, 5, score=0.9)]

    pushed = push_frames(client, project, refs, model, "synthetic@abc123", document_root=ls.document_root)
    assert len(pushed.created) == 4 and pushed.predictions == 4
    assert push_frames(client, project, refs, model, "x", document_root=ls.document_root).skipped == pushed.created

    tasks = {t.data["source"]: t for t in client.tasks.list(project=project.id, fields="all")}
    assert len(tasks) == 4
    for t in tasks.values():
        (pred,) = t.predictions
        assert pred.model_version == "synthetic@abc123"
        assert [r["value"]["rectanglelabels"] for r in pred.result] == [["car"]]
        served = httpx.get(ls.url + t.data["image"], headers={"Authorization": f"Token {ls.token}"})
        assert served.status_code == 200
        assert served.content == (ls.document_root / t.data["source"]).read_bytes()

    height, width = cv2.imread(str(refs[0].path)).shape[:2]
    by_source = {}
    for ref, (clip, index, _suffix, boxes) in zip(refs, FRAMES, strict=True):
        task = tasks[ref.path.relative_to(ls.document_root).as_posix()]
        client.annotations.create(id=task.id, result=_labeler_result(boxes, width, height), lead_time=4.2)
        by_source[f"{clip}__{index:06d}"] = (task, boxes)

    first = pull(client, project, tmp_path / "store")
    assert sorted(first.new) == sorted(t.id for t in tasks.values()) and not first.changed
    info = build_dataset([first.store], out_root=tmp_path / "datasets", document_root=ls.document_root)
    assert yaml.safe_load((info.path / "data.yaml").read_text())["names"] == {0: "truck", 1: "car"}
    assert {info.train_clips[0], info.val_clips[0]} == {"cam1", "cam2"}
    _check_labels(info, {name: boxes for name, (_, boxes) in by_source.items()}, width, height)

    nothing = pull(client, project, tmp_path / "store")
    assert not (nothing.new or nothing.changed or nothing.removed)

    task, boxes = by_source["cam1__000080"]  # the labeler moves one box
    moved = [("car", 4, 10, 68, 50)]
    (ann,) = client.tasks.get(id=str(task.id)).annotations
    client.annotations.update(id=ann["id"], result=_labeler_result(moved, width, height))
    second = pull(client, project, tmp_path / "store")
    assert second.changed == [task.id] and not second.new
    info2 = build_dataset([second.store], out_root=tmp_path / "datasets", document_root=ls.document_root)
    assert info2.version != info.version
    _check_labels(info2, {"cam1__000080": moved}, width, height)

    gone, _ = by_source["cam2__000160"]  # the labeler deletes an annotation: its frame leaves the dataset
    (ann,) = client.tasks.get(id=str(gone.id)).annotations
    client.annotations.delete(id=ann["id"])
    third = pull(client, project, tmp_path / "store")
    assert third.removed == [gone.id] and not (third.new or third.changed)
    info3 = build_dataset([third.store], out_root=tmp_path / "datasets", document_root=ls.document_root)
    assert not list(info3.path.glob("labels/*/cam2__000160.txt")) and sum(info3.images.values()) == 3

    with pytest.raises(WorkbenchError) as err:  # ids are pinned: no reordering
        ensure_project(client, "site A muck trucks", ["car", "truck"])
    assert err.value.problems[0].code == "labelstudio_classes_pinned"
    grown = ensure_project(client, "site A muck trucks", [*CLASSES, "muck_truck"])
    assert grown.id == project.id
    assert classes_from_config(client.projects.get(id=project.id).label_config) == [*CLASSES, "muck_truck"]


def _square_video(path, frames=20, size=(160, 96), fps=10.0):
    """A white square moving 4 px right per frame on black, so a cut frame shows which frame it is."""
    with H264Writer(path, fps, size, crf=10) as w:
        for i in range(frames):
            img = np.zeros((size[1], size[0], 3), np.uint8)
            img[40:56, 8 + 4 * i: 24 + 4 * i] = 255
            w.write(img)


def test_video_project_tracks_become_per_frame_labels(labelstudio, tmp_path):  # noqa: F811
    ls = labelstudio
    client = connect(ls.url, ls.token)
    video = ls.document_root / "clips" / "gate.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    _square_video(video)
    project = ensure_project(client, "gate tracks", CLASSES, kind="video", fps=10)
    assert push_clips(client, project, [ClipRef(video, "gate")], document_root=ls.document_root).created
    (task,) = client.tasks.list(project=project.id, fields="all")

    def key(frame, x, enabled=True):  # percent of 160x96, as the video page records keyframes (frames from 1)
        return {"frame": frame, "enabled": enabled, "rotation": 0, "x": x / 160 * 100, "y": 40 / 96 * 100,
                "width": 16 / 160 * 100, "height": 16 / 96 * 100, "time": frame / 10}

    track = {"from_name": "box", "to_name": "video", "type": "videorectangle", "origin": "manual", "value": {
        "framesCount": 20, "duration": 2.0, "labels": ["car"],
        "sequence": [key(1, 8), key(11, 48), key(15, 64, enabled=False)]}}
    client.annotations.create(id=task.id, result=[track])
    store = pull(client, project, tmp_path / "store").store
    info = build_dataset([store], out_root=tmp_path / "datasets", document_root=ls.document_root)
    assert info.images == {"train": 20, "val": 0}
    assert {w.code for w in info.warnings} == {"dataset_no_val_clip", "dataset_class_without_boxes"}  # no truck
    for i in range(20):
        lines = (info.path / "labels" / "train" / f"gate__f{i:06d}.txt").read_text().split()
        img = cv2.imread(str(info.path / "images" / "train" / f"gate__f{i:06d}.jpg"), cv2.IMREAD_GRAYSCALE)
        square_x = int(np.argmax(img[48] > 128))
        assert abs(square_x - (8 + 4 * i)) <= 1, f"frame {i} was cut from the wrong place"
        if i > 14:
            assert lines == [], f"track ended at frame 15 (index 14) but frame {i} has a box"
            continue
        assert int(lines[0]) == 1
        x = 8 + 4 * i  # the keyframes sit on the square; in between it moves linearly, as interpolation does
        assert [float(v) for v in lines[1:]] == pytest.approx([(x + 8) / 160, 48 / 96, 16 / 160, 16 / 96], abs=1e-6)


def test_wrong_token_is_a_clear_problem(labelstudio):  # noqa: F811
    with pytest.raises(WorkbenchError) as err:
        connect(labelstudio.url, "0" * 40)
    (problem,) = err.value.problems
    assert problem.code == "labelstudio_bad_token"
    assert problem.params["url"] == labelstudio.url and "0" * 40 not in str(problem.params)


def test_the_local_server_is_found_without_settings(labelstudio, monkeypatch):  # noqa: F811
    """As after `workbench labelstudio start`: no URL, no token in the environment; server.json + token file."""
    monkeypatch.setenv("WORKBENCH_HOME", str(labelstudio.workbench_home))
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    client = connect()
    assert client.users.whoami().email == "admin@localhost"
    token_file = labelstudio.workbench_home / "labelstudio" / "token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert labelstudio.token not in labelstudio.log_file.read_text(encoding="utf-8", errors="replace")


def test_pre_annotations_from_a_real_model_record_its_version(labelstudio, untrained_pt):  # noqa: F811
    from workbench.features.labeling.projects import model_predictor
    from workbench.models.zoo import sha256_of

    ls = labelstudio
    client = connect(ls.url, ls.token)
    project = ensure_project(client, "model pre-labels", CLASSES)
    frame = ls.document_root / "frames" / "cam9" / "000001.png"
    frame.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(frame), np.full((96, 160, 3), 127, np.uint8))
    predictor, version = model_predictor(str(untrained_pt))
    assert version == f"tiny@{sha256_of(untrained_pt)[:12]}"
    assert push_frames(client, project, [FrameRef(frame, "cam9", 1)], predictor, version,
                       document_root=ls.document_root).predictions == 1
    (task,) = client.tasks.list(project=project.id, fields="all")
    assert [p.model_version for p in task.predictions] == [version]
