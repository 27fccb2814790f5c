"""YOLO datasets from labeled frames: exact boxes, pinned ids, split by clip, content-hash versions (no server)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import yaml

from workbench.core.errors import WorkbenchError
from workbench.features.labeling.dataset import Sample, _video_samples, dataset_version, split_by_clip, write_dataset


def _image(path, seed):
    rng = np.random.default_rng(seed)
    cv2.imwrite(str(path), rng.integers(0, 255, (90, 160, 3), dtype=np.uint8))
    return path


def _samples(tmp_path, clips=("a", "b", "c", "d", "e"), per_clip=3):
    out = []
    for ci, clip in enumerate(clips):
        for k in range(per_clip):
            img = _image(tmp_path / f"{clip}_{k}.png", ci * 10 + k)
            out.append(Sample(clip=clip, name=f"{clip}__{k}", labels=[(k % 2, (0.5, 0.5, 0.2, 0.1 * (k + 1)))],
                              image=img))
    return out


def test_split_never_puts_one_clip_in_both_sets(tmp_path):
    info = write_dataset(_samples(tmp_path), ["truck", "car"], tmp_path / "ds", val_fraction=0.4)
    stems = {sp: {p.stem.split("__")[0] for p in (info.path / "images" / sp).iterdir()} for sp in ("train", "val")}
    assert stems["train"] and stems["val"]
    assert not stems["train"] & stems["val"]
    assert stems["val"] == set(info.val_clips) and stems["train"] == set(info.train_clips)
    assert len(info.val_clips) == 2  # ceil(5 * 0.4)
    for sp in ("train", "val"):  # a label file per image, same split
        assert {p.stem for p in (info.path / "images" / sp).iterdir()} == \
               {p.stem for p in (info.path / "labels" / sp).iterdir()}


def test_split_is_stable_and_honours_chosen_val_clips():
    clips = ["c1", "c2", "c3", "c4"]
    assert split_by_clip(clips, 0.25, seed=3) == split_by_clip(list(reversed(clips)), 0.25, seed=3)
    assert split_by_clip(clips, val_clips=["c2"]) == (["c1", "c3", "c4"], ["c2"])
    assert split_by_clip(["only"], 0.5) == (["only"], [])
    with pytest.raises(WorkbenchError) as err:
        split_by_clip(clips, val_clips=["nope"])
    assert err.value.problems[0].code == "dataset_unknown_val_clip"


def test_labels_data_yaml_and_names_in_class_id_order(tmp_path):
    info = write_dataset(_samples(tmp_path, clips=("a", "b")), ["truck", "car"], tmp_path / "ds")
    data = yaml.safe_load((info.path / "data.yaml").read_text(encoding="utf-8"))
    assert data["names"] == {0: "truck", 1: "car"}
    assert data["path"] == str(info.path)
    label = next((info.path / "labels").rglob("a__1.txt")).read_text().split()
    assert int(label[0]) == 1 and [float(v) for v in label[1:]] == pytest.approx([0.5, 0.5, 0.2, 0.2], abs=1e-6)
    manifest = json.loads((info.path / "dataset.json").read_text(encoding="utf-8"))
    assert manifest["version"] == info.version == info.path.name


def test_version_changes_with_one_label_not_with_identical_rewrites(tmp_path):
    classes = ["truck", "car"]
    info = write_dataset(_samples(tmp_path), classes, tmp_path / "ds")
    assert dataset_version(info.path, classes) == info.version
    label = next((info.path / "labels").rglob("*.txt"))
    text, img = label.read_text(), next((info.path / "images").rglob("*.png"))
    label.write_text(text)  # rewritten identically (new mtime)
    img.write_bytes(img.read_bytes())
    assert dataset_version(info.path, classes) == info.version
    (info.path / "labels" / "train.cache").write_bytes(b"ultralytics writes this when it trains")
    assert dataset_version(info.path, classes) == info.version
    assert dataset_version(info.path, ["car", "truck"]) != info.version  # class order is part of the version
    first, *rest = text.splitlines()
    label.write_text("\n".join([first.replace("0.5", "0.51", 1), *rest]) + "\n")
    assert dataset_version(info.path, classes) != info.version
    label.write_text(text)
    again = write_dataset(_samples(tmp_path), classes, tmp_path / "ds")  # same content -> same version, reused
    assert again.version == info.version and again.path == info.path


def test_corrupt_images_are_left_out_with_a_warning_and_empty_is_an_error(tmp_path):
    samples = _samples(tmp_path, clips=("a", "b"))
    samples[0].image.write_bytes(b"not a png")
    info = write_dataset(samples, ["truck", "car"], tmp_path / "ds")
    assert sum(info.images.values()) == len(samples) - 1
    assert [w.code for w in info.warnings] == ["dataset_image_corrupt"]
    with pytest.raises(WorkbenchError) as err:
        write_dataset([samples[0]], ["truck", "car"], tmp_path / "ds")
    assert err.value.problems[0].code == "dataset_empty"


def test_single_clip_and_missing_class_warn(tmp_path):
    samples = [s for s in _samples(tmp_path, clips=("a",), per_clip=1)]  # one clip, only class 0
    info = write_dataset(samples, ["truck", "car"], tmp_path / "ds")
    assert {w.code for w in info.warnings} == {"dataset_no_val_clip", "dataset_class_without_boxes"}
    assert yaml.safe_load((info.path / "data.yaml").read_text())["val"] == "images/train"


def test_video_keyframes_are_interpolated_to_every_frame(tmp_path):
    record = {"task": 7, "data": {"source": "clips/v.mp4", "clip": "v", "frames": 11}, "annotation": {"result": [
        {"type": "videorectangle", "from_name": "box", "to_name": "video", "value": {
            "framesCount": 11, "duration": 0.44, "labels": ["car"], "sequence": [
                {"frame": 1, "enabled": True, "x": 10, "y": 20, "width": 10, "height": 20, "rotation": 0, "time": 0},
                {"frame": 5, "enabled": True, "x": 30, "y": 20, "width": 20, "height": 20, "rotation": 0, "time": .16},
                {"frame": 7, "enabled": False, "x": 30, "y": 20, "width": 20, "height": 20, "rotation": 0,
                 "time": .24}]}}]}}
    samples = _video_samples(record, ["truck", "car"], tmp_path, 1, [])
    assert [s.frame for s in samples] == list(range(11))
    boxes = {s.frame: s.labels for s in samples}
    assert boxes[0] == [(1, pytest.approx((0.15, 0.3, 0.1, 0.2)))]
    assert boxes[2] == [(1, pytest.approx((0.275, 0.3, 0.15, 0.2)))]  # LS frame 3: halfway
    assert boxes[4][0][1] == pytest.approx((0.40, 0.3, 0.2, 0.2))
    assert boxes[6] and not boxes[7] and not boxes[10]  # the track ends at the disabled keyframe
