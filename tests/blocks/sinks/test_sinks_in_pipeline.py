"""The sinks wired together through the real engine: several rules feed one sink, enrichments reach events.jsonl."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from toy_blocks import ToyDetector, ToySource, ToyTracker

from blocks.sinks.annotated_video import AnnotatedVideo
from blocks.sinks.events_file import EventsFile
from blocks.sinks.snapshots import Snapshots
from blocks.sinks.work_order import WorkOrder, list_orders
from workbench.core.block import Block, BlockConfig, Overlay
from workbench.core.events import Event
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port
from workbench.core.registry import BlockRegistry, describe_block
from workbench.engine.runner import RunOptions, run_pipeline
from workbench.engine.spec import PipelineSpec
from workbench.media.video_io import is_h264_mp4


class BoxRuleConfig(BlockConfig):
    every: int = 4


class BoxRule(Block[BoxRuleConfig]):
    """Raises an event with the track's box every N frames."""

    type_id = "rules/box_toy@v1"
    Config = BoxRuleConfig
    inputs = (Port("tracks", Kind.TRACKS),)
    outputs = (Port("events", Kind.EVENTS),)

    def process(self, state: None, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        tracks = inputs["tracks"]
        if frame.index % self.config.every or not len(tracks):
            return {"events": ()}
        return {"events": (Event(time=frame.wall_time.isoformat(), pts=frame.pts, frame=frame.index,
                                 node=self.node_id, type="box", track_id=int(tracks.tracker_id[0]),
                                 bbox=tuple(float(v) for v in tracks.xyxy[0])),)}

    def overlays(self) -> list[Overlay]:
        return [Overlay(self.node_id, "line", ((0, 20), (64, 20)), "mid")]


SINKS = (EventsFile, AnnotatedVideo, Snapshots, WorkOrder)


def test_sink_chain_through_the_engine(tmp_path, cjk_font):
    registry = BlockRegistry.of((ToySource, ToyDetector, ToyTracker, BoxRule, *SINKS))
    spec = PipelineSpec.model_validate({
        "version": 1, "meta": {"name": "sinks"},
        "nodes": [
            {"id": "src", "type": "sources/toy@v1", "config": {"frames": 12}},
            {"id": "det", "type": "detection/toy@v1", "config": {"speed": 3}},
            {"id": "trk", "type": "tracking/toy@v1"},
            {"id": "r4", "type": "rules/box_toy@v1", "config": {"every": 4}},
            {"id": "r6", "type": "rules/box_toy@v1", "config": {"every": 6}},
            {"id": "snap", "type": "sinks/snapshots@v1"},
            {"id": "orders", "type": "sinks/work_order@v1", "config": {"site": "A", "dedupe_seconds": 0}},
            {"id": "log", "type": "sinks/events_file@v1"},
            {"id": "video", "type": "sinks/annotated_video@v1"},
        ],
        "edges": [
            {"from": "src.frames", "to": "det.image"},
            {"from": "det.detections", "to": "trk.detections"},
            {"from": "trk.tracks", "to": "r4.tracks"},
            {"from": "trk.tracks", "to": "r6.tracks"},
            {"from": "src.frames", "to": "snap.image"},
            {"from": "r4.events", "to": "snap.events"},
            {"from": "r6.events", "to": "snap.events"},
            {"from": "snap.events", "to": "orders.events"},
            {"from": "orders.events", "to": "log.events"},
            {"from": "src.frames", "to": "video.image"},
            {"from": "trk.tracks", "to": "video.detections"},
            {"from": "r4.events", "to": "video.events"},
        ],
    })
    summary = run_pipeline(spec, RunOptions(out_dir=tmp_path), registry)

    assert summary["status"] == "done"
    # frames 0, 4, 8 (r4) and 0, 6 (r6): five events
    rows = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted((r["node"], r["frame"]) for r in rows) == [("r4", 0), ("r4", 4), ("r4", 8), ("r6", 0), ("r6", 6)]
    assert all(r["snapshot"] and (tmp_path / r["snapshot"]).is_file() for r in rows)
    orders = {o["id"]: o for o in list_orders(tmp_path / "work_orders.sqlite")}
    assert {r["work_order"] for r in rows} == set(orders)
    assert all(orders[r["work_order"]]["snapshot"] == r["snapshot"] for r in rows)
    outputs = summary["outputs"]
    assert outputs["log"]["events"] == 5 and outputs["snap"]["snapshots"] == 5 and outputs["orders"]["orders"] == 5
    assert outputs["video"] == {"file": "annotated.mp4", "frames": 12, "language": "zh"}  # written with the CJK font
    assert is_h264_mp4(tmp_path / "annotated.mp4")


def test_every_sink_describes_itself():
    for block in (*SINKS, __import__("blocks.sinks.webhook", fromlist=["Webhook"]).Webhook):
        info = describe_block(block)
        props = info["config_schema"]["properties"]
        assert props and all(p.get("description") for p in props.values()), block.type_id
