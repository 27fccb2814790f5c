"""What every registered block promises (docs/block-contract.md), checked over the registry instead of per category:
a stable type id, frozen and strict settings that are all described, fields it names that exist, both languages,
a constructor that does no I/O, and a `process()` that never mutates what it is given."""

from __future__ import annotations

import copy
import re
import sys
from datetime import datetime
from typing import Any

import numpy as np
import pytest
import supervision as sv
from pydantic import ValidationError

from workbench.core.block import SourceBlock, StreamContext
from workbench.core.events import Event
from workbench.core.frames import Frame
from workbench.core.kinds import Kind
from workbench.core.registry import default_registry
from workbench.models import zoo

BLOCKS = sorted(default_registry().blocks.values(), key=lambda b: b.type_id)
TYPE_ID = re.compile(r"^[a-z_]+/[a-z0-9_]+@v[0-9]+$")
# Settings a block cannot be made without, for the checks below (a source's location, a webhook's address).
REQUIRED = {"path": "/nonexistent/clip.mp4", "url": "rtsp://127.0.0.1:9/none", "folder": "/nonexistent/frames",
            "polygon": [[20, 20], [140, 20], [140, 100], [20, 100]], "start": [80, 0], "end": [80, 120],
            "pixels_per_meter": 10.0, "expected_direction": [1.0, 0.0]}
SETTINGS = {"sinks/webhook@v1": {"url": "http://127.0.0.1:9/hook", "retries": 0, "drain_s": 0.0}}  # to start it
_IO_EVENTS = ("open", "os.listdir", "os.scandir", "socket.connect", "subprocess.Popen", "shutil.copyfile")
_watching: list[list[str]] = []


def _audit(event: str, args: tuple) -> None:
    if _watching and event in _IO_EVENTS:
        _watching[-1].append(f"{event} {args[:1]}")


sys.addaudithook(_audit)


def _config(block: type) -> Any:
    fields = block.Config.model_fields
    given = {name: REQUIRED[name] for name, field in fields.items() if field.is_required() and name in REQUIRED}
    given |= SETTINGS.get(block.type_id, {})
    try:
        return block.Config(**given)
    except ValidationError as exc:  # a block whose required settings this table does not know yet
        raise AssertionError(f"{block.type_id}: add its required settings to REQUIRED: {exc.errors()[0]['loc']}") \
            from None


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.type_id)
def test_type_id_ports_and_named_fields(block):
    assert TYPE_ID.match(block.type_id) and default_registry().get(block.type_id) is block
    fields = set(block.Config.model_fields)
    for named in ("site_fields", "write_fields", "outward_fields"):
        assert set(getattr(block, named)) <= fields, (block.type_id, named)
    assert all(p.kind in Kind for p in (*block.inputs, *block.outputs))
    assert bool(block.inputs) != issubclass(block, SourceBlock)  # exactly the sources read no input


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.type_id)
def test_settings_are_frozen_strict_and_described(block):
    config = block.Config.model_config
    assert config.get("frozen") is True and config.get("extra") == "forbid"
    for name, field in block.Config.model_fields.items():
        assert field.description and len(field.description) > 10, f"{block.type_id}.{name}"
    assert set(block.Config.model_json_schema()["properties"]) == set(block.Config.model_fields)
    with pytest.raises(ValidationError):
        block.Config(**{"no_such_setting": 1})


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.type_id)
def test_title_and_description_in_both_languages(block):
    for part in ("title", "description"):
        en, zh = getattr(block, part)("en"), getattr(block, part)("zh")
        assert en and zh and en != zh, (block.type_id, part)


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.type_id)
def test_the_constructor_does_no_io(block):
    config = _config(block)
    _watching.append([])
    try:
        block(config, node_id="n")
    finally:
        seen = _watching.pop()
    assert seen == [], f"{block.type_id} touched files or the network when constructed: {seen}"


def _sample(kind: Kind) -> Any:
    """A value of each kind as a block receives it."""
    image = np.full((120, 160, 3), 90, np.uint8)
    image[40:80, 50:110] = 200
    if kind is Kind.IMAGE:
        return Frame(image=image, index=3, pts=0.12, wall_time=datetime(2026, 12, 7, 8, 0, 0))
    boxes = sv.Detections(xyxy=np.array([[50.0, 40.0, 110.0, 80.0], [10.0, 10.0, 30.0, 40.0]]),
                          confidence=np.array([0.9, 0.6]), class_id=np.array([0, 1]),
                          data={"class_name": np.array(["car", "person"])})
    if kind is Kind.DETECTIONS:
        return boxes
    if kind is Kind.TRACKS:
        boxes.tracker_id = np.array([1, 2])
        return boxes
    return (Event(time="2026-12-07T08:00:00", pts=0.12, frame=3, node="r", type="line_crossing", track_id=1,
                  class_name="car", region="line", bbox=(50.0, 40.0, 110.0, 80.0)),)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, sv.Detections):
        return a == b
    if isinstance(a, Frame):
        return np.array_equal(a.image, b.image) and (a.index, a.pts) == (b.index, b.pts)
    return a == b


@pytest.mark.parametrize("block", [b for b in BLOCKS if not issubclass(b, SourceBlock)], ids=lambda b: b.type_id)
def test_process_never_mutates_its_inputs(block, tmp_path, operator_policy, request):
    operator_policy(webhook_hosts=["127.0.0.1"])  # nothing listens there: deliveries fail and are recorded
    if block.type_id == "detection/yolo@v1":  # real weights of the model it names, from an untrained checkpoint
        request.getfixturevalue("zoo_home")
        zoo.import_weights(request.getfixturevalue("untrained_pt"), "yolo11n", license="AGPL-3.0")
    instance = block(_config(block), node_id="n")
    instance.load()
    state = instance.start(StreamContext(out_dir=tmp_path, source="t.mp4", fps=25.0, frame_size=(160, 120)))
    inputs = {p.name: _sample(p.kind) for p in block.inputs}
    frame = _sample(Kind.IMAGE)
    kept = copy.deepcopy(inputs), copy.deepcopy(frame)
    for _ in range(3):
        instance.process(state, frame, inputs)
    instance.finish(state)
    assert all(_same(inputs[name], kept[0][name]) for name in inputs), block.type_id
    assert _same(frame, kept[1])
