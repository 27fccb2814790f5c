"""Dataset checks: bad input becomes Problems before training; the dataset version follows the content."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.core.errors import WorkbenchError
from workbench.features.synth import compute_truth, get
from workbench.features.training.dataset_check import check_dataset, dataset_version
from workbench.features.training.synthetic_dataset import SYNTH_CLASSES


def _codes(exc: pytest.ExceptionInfo) -> list[str]:
    for p in exc.value.problems:  # the texts fit the parameters in both languages
        assert p.message("en") != f"problem.{p.code}" and p.message("zh")
    return [p.code for p in exc.value.problems]


def test_synthetic_labels_are_the_truth_boxes(tiny_dataset: Path):
    root = tiny_dataset.parent
    truth = compute_truth(get("traffic"), 0)
    label = sorted((root / "labels" / "train").glob("traffic_s0_f*.txt"))[3]
    frame = int(label.stem.rsplit("_f", 1)[1])
    expected = sorted((SYNTH_CLASSES.index(t["class"]), *t["boxes"][frame - t["first_frame"]])
                      for t in truth["tracks"] if t["first_frame"] <= frame <= t["last_frame"])
    rows = [line.split() for line in label.read_text().splitlines()]
    got = sorted((int(c), (float(cx) - float(w) / 2) * 640, (float(cy) - float(h) / 2) * 360,
                  (float(cx) + float(w) / 2) * 640, (float(cy) + float(h) / 2) * 360) for c, cx, cy, w, h in rows)
    assert len(got) == len(expected) > 0
    assert np.allclose(np.array(got), np.array(expected), atol=0.01)


def test_good_dataset_passes_with_its_classes_and_version(tiny_dataset: Path):
    info = check_dataset(tiny_dataset)
    assert info.classes == SYNTH_CLASSES
    assert len(info.train.images) >= 15 and len(info.val.images) == 10
    assert info.version == dataset_version(tiny_dataset.parent, list(SYNTH_CLASSES)) and len(info.version) == 16
    # traffic has no muck trucks or people: the model cannot learn them, the user is told (not stopped)
    codes = [w.code for w in info.warnings]
    assert codes[0] == "train_data_class_without_boxes" and info.warnings[0].message("zh")
    assert "muck_truck" in info.warnings[0].params["missing"]
    # and classes learned from training whose boxes the 10 validation images lack: their score cannot be measured
    val_classes = {SYNTH_CLASSES[c] for c in info.val.boxes_per_class}
    unmeasured = [SYNTH_CLASSES[c] for c in sorted(info.train.boxes_per_class) if SYNTH_CLASSES[c] not in val_classes]
    assert codes[1:] == (["train_data_class_not_in_val"] if unmeasured else [])
    if unmeasured:
        assert info.warnings[1].params["missing"] == ", ".join(unmeasured) and info.warnings[1].message("zh")


def test_a_class_with_no_validation_box_is_named_before_training(tiny_dataset: Path):
    root = tiny_dataset.parent
    for label in (root / "labels" / "val").glob("*.txt"):  # validation keeps class 0 only
        label.write_text("".join(ln + "\n" for ln in label.read_text().splitlines() if ln.startswith("0 ")))
    info = check_dataset(tiny_dataset)
    (warning,) = [w for w in info.warnings if w.code == "train_data_class_not_in_val"]
    learned = [SYNTH_CLASSES[c] for c in sorted(info.train.boxes_per_class) if c != 0]
    assert warning.params["missing"] == ", ".join(learned) and warning.field == "data"
    assert "--val-clip" in warning.message("en")


def test_version_changes_with_a_label_and_ignores_ultralytics_cache(tiny_dataset: Path):
    root = tiny_dataset.parent
    before = dataset_version(root, list(SYNTH_CLASSES))
    (root / "labels" / "train.cache").write_bytes(b"written by ultralytics on first use")
    assert dataset_version(root, list(SYNTH_CLASSES)) == before
    assert dataset_version(root, list(reversed(SYNTH_CLASSES))) != before  # class ids are part of the version
    label = sorted((root / "labels" / "train").glob("*.txt"))[0]
    label.write_text(label.read_text() + "0 0.5 0.5 0.1 0.1\n")
    assert dataset_version(root, list(SYNTH_CLASSES)) != before


def test_empty_dataset_is_a_problem_per_split(tiny_dataset: Path):
    root = tiny_dataset.parent
    for label in (root / "labels").rglob("*.txt"):
        label.write_text("")
    with pytest.raises(WorkbenchError) as exc:
        check_dataset(tiny_dataset)
    assert _codes(exc) == ["train_data_empty", "train_data_empty"]
    assert [p.params["split"] for p in exc.value.problems] == ["train", "val"]


def test_no_images_at_all_is_empty(tiny_dataset: Path):
    for image in (tiny_dataset.parent / "images" / "val").iterdir():
        image.unlink()
    with pytest.raises(WorkbenchError) as exc:
        check_dataset(tiny_dataset)
    assert _codes(exc) == ["train_data_empty"] and exc.value.problems[0].params["images"] == 0


def test_single_class_dataset_with_a_longer_class_list_is_refused(tiny_dataset: Path):
    root = tiny_dataset.parent
    for label in (root / "labels").rglob("*.txt"):
        rows = [r for r in label.read_text().splitlines() if r.startswith("0 ")]  # keep cars only
        label.write_text("\n".join(rows) + "\n" if rows else "")
    with pytest.raises(WorkbenchError) as exc:
        check_dataset(tiny_dataset)
    assert _codes(exc) == ["train_data_single_class"]
    assert exc.value.problems[0].params["present"] == "car"
    assert "truck" in exc.value.problems[0].params["missing"]


def test_one_class_list_with_boxes_is_fine(tiny_dataset: Path):
    root = tiny_dataset.parent
    for label in (root / "labels").rglob("*.txt"):
        rows = [r for r in label.read_text().splitlines() if r.startswith("0 ")]
        label.write_text("\n".join(rows) + "\n" if rows else "")
    tiny_dataset.write_text(tiny_dataset.read_text().split("names:")[0] + "names:\n  0: car\n")
    info = check_dataset(tiny_dataset)
    assert info.classes == ("car",) and info.warnings == ()


def test_corrupt_image_and_bad_label_are_named(tiny_dataset: Path):
    root = tiny_dataset.parent
    images = sorted((root / "images" / "train").iterdir())
    images[0].write_bytes(images[0].read_bytes()[:2000])  # truncated JPEG
    bad_label = root / "labels" / "train" / f"{images[1].stem}.txt"
    bad_label.write_text("9 0.5 0.5 0.2 0.2\n")  # class 9 of 6
    with pytest.raises(WorkbenchError) as exc:
        check_dataset(tiny_dataset)
    assert _codes(exc) == ["train_data_corrupt_images"]
    params = exc.value.problems[0].params
    assert params["count"] == 2 and params["split"] == "train"
    assert images[0].name in params["files"] and images[1].name in params["files"]


@pytest.mark.parametrize(
    ("content", "code"),
    [(None, "train_data_missing"), ("names: [car]\n", "train_data_yaml_invalid"),
     ("train: [unclosed\n", "train_data_yaml_invalid")],
)
def test_unusable_data_yaml(tmp_path: Path, content, code):
    path = tmp_path / "data.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(WorkbenchError) as exc:
        check_dataset(path)
    assert _codes(exc) == [code]

