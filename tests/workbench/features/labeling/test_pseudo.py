"""Pseudo-labels: the bundled NanoDet labels sampled frames of real-pixel clips of the library into a part that
records where its labels came from; a dataset build merges it with human labels, and the human's labels win."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from real_clip_support import iou, real_clip, truth_boxes

from workbench.apps.cli import main
from workbench.core.errors import WorkbenchError
from workbench.features.finetune import sampling
from workbench.features.finetune.clips import ClipLibrary
from workbench.features.labeling.dataset import build_dataset
from workbench.features.labeling.pseudo import PseudoSampling, load_part, pseudo_dir, pseudo_label
from workbench.features.labeling.teacher import open_teacher

CLASSES = ["car", "van", "bus"]
MAPPING = {"car": "car", "truck": "van", "bus": "bus", "bird": "ignore"}
WIDTH, HEIGHT = 768, 576


@pytest.fixture(scope="module")
def clips(tmp_path_factory, vtest_video) -> dict[int, tuple[Path, dict]]:
    """Two 3 s real-pixel street clips (seeds 0 and 1) and their truth."""
    folder = tmp_path_factory.mktemp("real")
    return {seed: real_clip(folder / f"s{seed}", seconds=3.0, seed=seed) for seed in (0, 1)}


@pytest.fixture
def library(clips, tmp_path, monkeypatch) -> tuple[ClipLibrary, dict[int, str]]:
    """A workbench home whose library holds both clips; {seed: clip id}."""
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    lib = ClipLibrary()
    return lib, {seed: lib.import_clip(video).id for seed, (video, _) in clips.items()}


@pytest.fixture(scope="module")
def teacher():
    return open_teacher("nanodet-m-416", conf=0.35, class_conf={"truck": 0.5})


def _labels(path: Path) -> list[tuple[str, list[float]]]:
    """(class, x1 y1 x2 y2 in pixels) of a YOLO label file."""
    rows = [line.split() for line in path.read_text().splitlines()]
    return [(CLASSES[int(r[0])], [(float(r[1]) - float(r[3]) / 2) * WIDTH, (float(r[2]) - float(r[4]) / 2) * HEIGHT,
                                  (float(r[1]) + float(r[3]) / 2) * WIDTH, (float(r[2]) + float(r[4]) / 2) * HEIGHT])
            for r in rows]


def test_a_teacher_labels_library_clips_into_a_part_that_says_where_its_labels_came_from(library, clips, teacher):
    lib, ids = library
    info = pseudo_label([ids[0], ids[1]], teacher, MAPPING, CLASSES, PseudoSampling(every_s=1.0), library=lib)
    assert info.path.parent == pseudo_dir() and info.classes == CLASSES and info.val_clips == []
    part = info.pseudo
    assert part["teacher"] == "nanodet-m-416" and part["teacher_version"] == teacher.version
    assert part["teacher_sha256"] == teacher.sha256 and teacher.version.endswith(teacher.sha256[:12])
    assert (part["runtime"], part["conf"], part["class_conf"], part["iou"], part["nms"]) == (
        "nanodet", 0.35, {"truck": 0.5}, 0.5, "class-agnostic")
    assert part["mapping"] == {"car": "car", "truck": "van", "bus": "bus", "bird": None} and part["mapping_given"]
    assert part["clips"] == {ids[s]: lib.get(ids[s]).sha256 for s in (0, 1)}
    assert [(f["clip"], f["frame"]) for f in part["frames"]] == [(ids[s], i) for s in (0, 1) for i in (0, 25, 50)]
    assert all(f["kept"] == bool(f["boxes"]) for f in part["frames"])
    manifest = json.loads((info.path / "dataset.json").read_text())
    assert manifest["pseudo"]["teacher_version"] == teacher.version
    images = sorted(p.stem for p in (info.path / "images" / "train").iterdir())
    assert images == sorted(part["names"]) and all(n.endswith("_pseudo") for n in images)
    assert len(images) == sum(f["kept"] for f in part["frames"]) >= 5
    matched = total = 0  # the teacher's boxes lie on the clips' real objects, with the mapped class
    for frame in (f for f in part["frames"] if f["kept"]):
        truth = truth_boxes(clips[0 if frame["clip"] == ids[0] else 1][1], frame["frame"], tuple(CLASSES))
        for cls, box in _labels(info.path / "labels" / "train" / f"{frame['name']}.txt"):
            total += 1
            matched += max([iou(box, b) for c, b in truth if c == cls] or [0.0]) > 0.5
    assert total >= 10 and matched >= 0.8 * total, (matched, total)
    assert load_part(info.version).samples[0].frame == 0  # read back by version, frame indices kept


def _store(home: Path, clip_id: str, frames: dict[int, list[tuple[str, list[float]]]]) -> Path:
    """A pulled project whose labeler corrected `frames` of `clip_id` (pushed from <home>/frames, as the page does)."""
    sampling.extract([sampling.FrameRef(clip_id, i, i / 25, "uniform") for i in frames])
    store = home / "labeling" / "127.0.0.1_8080" / "project-1"  # one project, called again for another clip
    (store / "tasks").mkdir(parents=True, exist_ok=True)
    state = json.loads((store / "state.json").read_text()) if (store / "state.json").is_file() else {
        "cursor": None, "tasks": {}, "project": {"id": 1, "title": "street", "classes": CLASSES, "kind": "image"}}
    for index, boxes in frames.items():
        task = len(state["tasks"]) + 1
        result = [{"type": "rectanglelabels", "value": {
            "x": x1 / WIDTH * 100, "y": y1 / HEIGHT * 100, "width": (x2 - x1) / WIDTH * 100,
            "height": (y2 - y1) / HEIGHT * 100, "rotation": 0, "rectanglelabels": [cls]}}
            for cls, (x1, y1, x2, y2) in boxes]
        data = {"image": "-", "clip": clip_id, "frame": index, "source": f"frames/{clip_id}/{index:06d}.jpg"}
        record = {"task": task, "data": data, "annotation": {"result": result}}
        (store / "tasks" / f"{task}.json").write_text(json.dumps(record))
        state["tasks"][str(task)] = {}
    (store / "state.json").write_text(json.dumps(state))
    return store


def test_human_labels_win_and_validation_stays_human(library, teacher, capsys):
    lib, ids = library
    home = lib.root.parent
    assert main(["dataset", "pseudo", ids[0], ids[1], "--teacher", "nanodet-m-416", "--classes", ",".join(CLASSES),
                 "--map", "car=car,truck=van,bus=bus", "--map", "bird=ignore", "--conf", "0.35",
                 "--class-conf", "truck=0.5", "--json"]) == 0
    part = json.loads(capsys.readouterr().out)
    assert part["pseudo"]["teacher_version"] == teacher.version and part["images"] >= 5
    corrected = [("car", [10.0, 20.0, 110.0, 80.0])]  # frame 25 of clip 0: the labeler's box, not the teacher's
    store = _store(home, ids[0], {0: [], 25: corrected})
    store = _store(home, ids[1], {50: [("bus", [300.0, 200.0, 500.0, 330.0])]})
    info = build_dataset([store], pseudo_parts=[part["version"]], val_clips=[ids[1]])

    names = {sp: sorted(p.stem for p in (info.path / "labels" / sp).iterdir()) for sp in ("train", "val")}
    assert f"{ids[0]}__000025" in names["train"] and f"{ids[0]}__000025_pseudo" not in names["train"]
    assert f"{ids[0]}__000050_pseudo" in names["train"]  # a frame only the teacher labelled
    assert names["val"] == [f"{ids[1]}__000050"]  # validation: human labels only, no pseudo frame of clip 1
    assert _labels(info.path / "labels" / "train" / f"{ids[0]}__000025.txt") == [
        ("car", pytest.approx([10.0, 20.0, 110.0, 80.0], abs=0.01))]
    assert (info.path / "labels" / "train" / f"{ids[0]}__000000.txt").read_text() == ""  # corrected to nothing
    pseudo = json.loads((info.path / "dataset.json").read_text())["pseudo"]
    kept_1 = [f["frame"] for f in load_part(part["version"]).provenance["frames"] if f["clip"] == ids[1] and f["kept"]]
    assert 50 in kept_1 and pseudo["replaced_by_human"] == 3  # frames 0 and 25 of clip 0, 50 of clip 1
    assert pseudo["left_out_val"] == len(kept_1) - 1
    assert pseudo["images"] == {"train": len([n for n in names["train"] if n.endswith("_pseudo")]), "val": 0}
    (summary,) = pseudo["parts"]
    assert summary["version"] == part["version"] and summary["mapping"]["truck"] == "van"
    assert summary["class_conf"] == {"truck": 0.5} and "frames" not in summary
    assert "dataset_pseudo_val_left_out" in {w.code for w in info.warnings}

    assert main(["dataset", "build", "--store", str(store), "--pseudo", str(pseudo_dir() / part["version"]),
                 "--val-clip", ids[1]]) == 0
    out = capsys.readouterr().out
    assert info.version in out and "pseudo-labelled" in out and part["version"] in out


def test_pseudo_labels_alone_say_validation_is_the_teachers(library, teacher):
    lib, ids = library
    part = pseudo_label([ids[0], ids[1]], teacher, MAPPING, CLASSES, library=lib)
    info = build_dataset([], pseudo_parts=[part.version], val_clips=[ids[1]])
    assert info.val_clips == [ids[1]] and info.images["val"] > 0
    (warning,) = [w for w in info.warnings if w.code == "dataset_val_pseudo"]
    assert ids[1] in warning.message("zh")
    data = yaml.safe_load((info.path / "data.yaml").read_text())
    assert data["names"] == dict(enumerate(CLASSES))


def test_unknown_parts_and_a_teacher_that_finds_nothing_are_named(library, teacher):
    lib, ids = library
    with pytest.raises(WorkbenchError) as err:
        pseudo_label([ids[0]], teacher, {"airplane": "car"}, CLASSES, library=lib)
    (problem,) = err.value.problems
    assert problem.code == "pseudo_nothing_found" and teacher.version in problem.message("zh")
    part = pseudo_label([ids[0]], teacher, MAPPING, CLASSES, PseudoSampling(max_frames=1), library=lib)
    assert load_part(part.path / "data.yaml").version == load_part(str(part.path)).version == part.version
    with pytest.raises(WorkbenchError) as err:
        build_dataset([], pseudo_parts=["nope"])
    (problem,) = err.value.problems
    assert problem.code == "dataset_pseudo_unknown" and part.version in problem.message()
