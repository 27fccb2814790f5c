"""YOLO datasets from labeled frames: exact boxes, pinned ids, split by clip, content-hash versions (no server)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import yaml

from workbench.core.errors import WorkbenchError
from workbench.features.labeling.dataset import Sample, _video_samples, dataset_version, write_dataset
from workbench.features.labeling.split import split_by_clip


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
    info = write_dataset(samples, ["truck", "car"], tmp_path / "ds", val_clips=["b"])
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


def _clip_samples(tmp_path, sizes, classes_of=lambda clip, k: k % 2):
    """`sizes` {clip: images}; box class from `classes_of(clip, k)`."""
    out = []
    for ci, (clip, n) in enumerate(sizes.items()):
        for k in range(n):
            img = _image(tmp_path / f"{clip}_{k}.png", ci * 100 + k)
            out.append(Sample(clip=clip, name=f"{clip}__{k}", labels=[(classes_of(clip, k), (0.5, 0.5, 0.2, 0.2))],
                              image=img))
    return out


def test_split_honours_the_fraction_as_closely_as_whole_clips_allow(tmp_path):
    """Three clips of 12, 14 and 6 images, 20 % asked: the 6-image clip (19 %) is the nearest, not any one clip."""
    clips = ["gate"] * 12 + ["yard"] * 14 + ["road"] * 6
    for seed in range(5):
        assert split_by_clip(clips, 0.2, seed=seed) == (["gate", "yard"], ["road"])
    assert split_by_clip(clips, 0.6, seed=0) == (["gate"], ["road", "yard"])  # 20 of 32 = 62 %, nearest to 19.2
    assert split_by_clip(["a"] * 10 + ["b"] * 10 + ["c"] * 10 + ["d"] * 10, 0.5)[1].__len__() == 2
    assert split_by_clip(clips, 0.0) == (["gate", "road", "yard"], [])  # 0 asked: nothing held out
    info = write_dataset(_clip_samples(tmp_path, {"gate": 12, "yard": 14, "road": 6}), ["truck", "car"],
                         tmp_path / "ds", val_fraction=0.2)
    assert info.images == {"train": 26, "val": 6} and info.val_fraction_asked == 0.2
    assert "dataset_split_off" not in {w.code for w in info.warnings}


def test_two_clips_hold_out_the_smaller_one_and_say_the_share_is_off(tmp_path):
    """The labeler's case: clips of 12 and 14 images, 20 % asked. The best whole-clip split is the 12-image clip
    (46 %), and a warning names --val-fraction with the share asked and the share given."""
    info = write_dataset(_clip_samples(tmp_path, {"cam1": 12, "cam2": 14}), ["truck", "car"], tmp_path / "ds",
                         val_fraction=0.2)
    assert info.images == {"train": 14, "val": 12} and info.val_clips == ["cam1"]
    (off,) = [w for w in info.warnings if w.code == "dataset_split_off"]
    assert off.field == "--val-fraction" and off.severity == "warning"
    assert off.params == {"val": 12, "total": 26, "share": 46, "asked": 20, "clips": "cam1"}
    for lang in ("en", "zh"):
        text = off.message(lang)
        assert "--val-fraction" in text and "46" in text and "20" in text and "--val-clip" in text
    manifest = json.loads((info.path / "dataset.json").read_text(encoding="utf-8"))
    assert manifest["val_fraction_asked"] == 0.2 and manifest["boxes_per_split"]["val"] == {"truck": 6, "car": 6}


def test_a_class_missing_on_one_side_of_the_split_is_named(tmp_path):
    """car only in the validation clip: never learned; truck only in training: never measured."""
    samples = _clip_samples(tmp_path, {"a": 4, "b": 4, "c": 2}, classes_of=lambda clip, k: 1 if clip == "c" else 0)
    info = write_dataset(samples, ["truck", "car", "bus"], tmp_path / "ds", val_clips=["c"])
    codes = {w.code: w.params["classes"] for w in info.warnings}
    assert codes == {"dataset_class_without_boxes": "bus", "dataset_class_not_in_train": "car",
                     "dataset_class_not_in_val": "truck"}
    assert info.boxes_per_split == {"train": {"truck": 8, "car": 0, "bus": 0}, "val": {"truck": 0, "car": 2, "bus": 0}}
