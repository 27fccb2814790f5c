"""tracking/bytetrack@v1 and tracking/botsort@v1 (ultralytics' trackers behind one adapter)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import supervision as sv
import yaml
from support import make_detections, make_frame

from blocks.tracking.botsort import BotSort
from blocks.tracking.bytetrack import ByteTrack
from workbench.core.block import StreamContext
from workbench.core.kinds import Kind
from workbench.core.registry import default_registry

BLOCKS = [ByteTrack, BotSort]


def ctx(fps: float = 25.0) -> StreamContext:
    return StreamContext(out_dir=None, source="test", fps=fps, frame_size=(640, 360))


def make(block_cls, **cfg):
    return block_cls(block_cls.Config(**cfg), node_id="trk")


def car_and_person(i: int):
    """A car moving right and a person moving left, 4 px per frame."""
    return make_detections([(20 + 4 * i, 100, 80 + 4 * i, 140), (500 - 4 * i, 200, 530 - 4 * i, 280)],
                           ["car", "person"], confidence=[0.9, 0.8])


def play(block, state, n: int, first: int = 0, dets=car_and_person):
    return [block.process(state, make_frame(i), {"detections": dets(i)})["tracks"] for i in range(first, first + n)]


@pytest.mark.parametrize("block_cls", BLOCKS)
def test_moving_objects_keep_distinct_ids(block_cls):
    block = make(block_cls)
    outs = play(block, block.start(ctx()), 20)
    ids = {tuple(o.tracker_id) for o in outs}
    assert len(ids) == 1  # the same ids every frame
    car, person = ids.pop()
    assert car != person
    assert all(list(o.data["class_name"]) == ["car", "person"] for o in outs)  # tracks follow their detections
    assert outs[-1].xyxy[0].tolist() == pytest.approx([96, 100, 156, 140])  # the detector's box, not a prediction


@pytest.mark.parametrize("block_cls", BLOCKS)
def test_trajectory_grows_then_is_capped(block_cls):
    block = make(block_cls, trajectory_length=5)
    outs = play(block, block.start(ctx()), 8)
    assert [len(o.data["trajectory"][0]) for o in outs] == [1, 2, 3, 4, 5, 5, 5, 5]
    last = outs[-1].data["trajectory"][0]
    assert last.dtype == np.float32 and last.shape == (5, 2)
    assert last[-1].tolist() == pytest.approx([(48 + 108) / 2, 140])  # bottom centre of the car now
    assert last[0].tolist() == pytest.approx([(32 + 92) / 2, 140])  # oldest kept: frame 3


@pytest.mark.parametrize("block_cls", BLOCKS)
def test_data_columns_survive_and_input_is_not_changed(block_cls):
    block = make(block_cls)
    state = block.start(ctx())
    for i in range(3):
        dets = car_and_person(i)
        dets.data["colour"] = np.array(["red", "blue"])
        xyxy = dets.xyxy.copy()
        out = block.process(state, make_frame(i), {"detections": dets})["tracks"]
        assert np.array_equal(dets.xyxy, xyxy) and dets.tracker_id is None
        assert set(dets.data) == {"class_name", "colour"}
        assert list(out.data["colour"]) == ["red", "blue"]


@pytest.mark.parametrize("block_cls", BLOCKS)
def test_new_start_restarts_ids_and_history(block_cls):
    block = make(block_cls)
    first = play(block, block.start(ctx()), 10)
    again = play(block, block.start(ctx()), 3)
    assert again[0].tracker_id.tolist() == first[0].tracker_id.tolist()
    assert len(again[-1].data["trajectory"][0]) == 3


@pytest.mark.parametrize("block_cls", BLOCKS)
def test_empty_frame_then_objects_continue(block_cls):
    block = make(block_cls)
    state = block.start(ctx())
    before = play(block, state, 5)[-1]
    empty = block.process(state, make_frame(5), {"detections": make_detections([])})["tracks"]
    assert len(empty) == 0 and empty.tracker_id is not None and len(empty.data["trajectory"]) == 0
    after = play(block, state, 3, first=6)[-1]
    assert after.tracker_id.tolist() == before.tracker_id.tolist()


@pytest.mark.parametrize("block_cls", BLOCKS)
def test_low_confidence_detections_do_not_start_tracks(block_cls):
    block = make(block_cls)
    faint = lambda i: make_detections([(10, 10, 50, 50)], ["car"], confidence=[0.05])  # noqa: E731
    outs = play(block, block.start(ctx()), 5, dets=faint)
    assert all(len(o) == 0 for o in outs)


def parked_car(i: int):
    return make_detections([(100, 100, 160, 140)], ["car"])


@pytest.mark.parametrize(("fps", "same_id"), [(30.0, True), (3.0, False)])
def test_lost_track_is_kept_for_about_track_buffer_at_30_fps(fps, same_id):
    """An object hidden for 15 frames keeps its id at 30 fps (0.5 s) but not at 3 fps (5 s, e.g. a large stride)."""
    block = make(ByteTrack, track_buffer=30)
    state = block.start(ctx(fps))
    seen = play(block, state, 5, dets=parked_car)[-1].tracker_id.tolist()
    play(block, state, 15, first=5, dets=lambda i: make_detections([]))
    back = play(block, state, 3, first=20, dets=parked_car)[-1].tracker_id.tolist()
    assert (back == seen) is same_id


def flickering_van(i: int):
    """One vehicle the detector calls truck in most frames and car in every third one (as NanoDet does a van)."""
    name, class_id, conf = ("car", 2, 0.45) if i % 3 == 0 else ("truck", 7, 0.5)
    return sv.Detections(xyxy=np.array([[100 + 3 * i, 100, 180 + 3 * i, 150]], dtype=np.float32),
                         confidence=np.array([conf], dtype=np.float32), class_id=np.array([class_id]),
                         data={"class_name": np.array([name])})


@pytest.mark.parametrize("block_cls", BLOCKS)
def test_a_track_keeps_the_class_its_detections_had_most(block_cls):
    block = make(block_cls, track_high_thresh=0.3, new_track_thresh=0.4)
    outs = play(block, block.start(ctx()), 12, dets=flickering_van)
    assert [str(o.data["class_name"][0]) for o in outs[1:]] == ["truck"] * 11  # frame 0 saw only "car"
    assert [int(o.class_id[0]) for o in outs[1:]] == [7] * 11
    per_frame = make(block_cls, track_high_thresh=0.3, new_track_thresh=0.4, class_vote=False)
    names = [str(o.data["class_name"][0]) for o in play(per_frame, per_frame.start(ctx()), 12, dets=flickering_van)]
    assert names.count("car") == 4 and names.count("truck") == 8


def test_botsort_without_motion_compensation():
    block = make(BotSort, gmc_method="none")
    outs = play(block, block.start(ctx()), 5)
    assert len({tuple(o.tracker_id) for o in outs}) == 1


def test_botsort_offers_no_reid():
    assert "with_reid" not in BotSort.Config.model_fields
    with pytest.raises(ValueError, match="with_reid"):
        BotSort.Config(with_reid=True)


def test_low_threshold_above_high_is_refused():
    with pytest.raises(ValueError, match="must not be above track_high_thresh"):
        ByteTrack.Config(track_high_thresh=0.3, track_low_thresh=0.5)


REID_ONLY = {"with_reid", "model", "proximity_thresh", "appearance_thresh"}  # not offered: no ReID weights offline


@pytest.mark.parametrize(("block_cls", "yaml_name"), [(ByteTrack, "bytetrack.yaml"), (BotSort, "botsort.yaml")])
def test_settings_mirror_the_ultralytics_yaml(block_cls, yaml_name):
    import ultralytics

    path = Path(ultralytics.__file__).parent / "cfg" / "trackers" / yaml_name
    theirs = yaml.safe_load(path.read_text())
    ours = block_cls.Config()
    for key, value in theirs.items():
        if key == "tracker_type" or key in REID_ONLY:
            continue
        assert getattr(ours, key) == value, key
    assert set(block_cls.Config.model_fields) - set(theirs) == {"trajectory_length", "class_vote"}


@pytest.mark.parametrize("block_cls", BLOCKS)
def test_registered_described_and_schema(block_cls):
    assert default_registry().get(block_cls.type_id) is block_cls
    fields = block_cls.Config.model_fields
    assert all(f.description for f in fields.values()), [n for n, f in fields.items() if not f.description]
    assert set(block_cls.Config.model_json_schema()["properties"]) == set(fields)
    assert [(p.name, p.kind) for p in block_cls.inputs] == [("detections", Kind.DETECTIONS)]
    assert [(p.name, p.kind) for p in block_cls.outputs] == [("tracks", Kind.TRACKS)]
