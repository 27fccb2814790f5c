"""Helpers for the live-stream tests. Import: `from stream_support import ...`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from workbench.engine.spec import PipelineSpec, parse_spec


def counting_pipeline(source: dict) -> PipelineSpec:
    """Motion -> wide boxes -> ByteTrack -> counting line -> events.jsonl, fed by `source` (a node: type + config)."""
    return parse_spec({
        "version": 1, "meta": {"name": "stream-count"},
        "nodes": [
            {"id": "src", **source},
            {"id": "motion", "type": "detection/motion@v1",
             "config": {"min_area": 600, "warmup_frames": 25, "class_name": "vehicle"}},
            {"id": "vehicles", "type": "filters/box_size@v1",
             "config": {"min_width": 30, "min_height": 18, "min_aspect": 1.2}},
            {"id": "tracker", "type": "tracking/bytetrack@v1", "config": {}},
            {"id": "count_line", "type": "rules/line_crossing@v1",
             "config": {"name": "count_line", "start": [320, 140], "end": [320, 265]}},
            {"id": "events", "type": "sinks/events_file@v1", "config": {"formats": ["jsonl"]}},
        ],
        "edges": [{"from": "src.frames", "to": "motion.image"},
                  {"from": "motion.detections", "to": "vehicles.detections"},
                  {"from": "vehicles.detections", "to": "tracker.detections"},
                  {"from": "tracker.tracks", "to": "count_line.tracks"},
                  {"from": "count_line.events", "to": "events.events"}],
    })


def read_events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)
