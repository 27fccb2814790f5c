"""`workbench serve` restarts a camera whose pipeline failed, keeps what the failed run produced, never on stop."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import Field
from stream_support import counting_pipeline, read_events, wait_for

from workbench.core.block import Block, BlockConfig, StreamContext
from workbench.core.errors import WorkbenchError
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port
from workbench.core.registry import BlockRegistry
from workbench.engine.spec import PipelineSpec, parse_spec
from workbench.features.streams.camera_run import keep_earlier_outputs
from workbench.features.streams.cameras import CameraEntry, RestartPolicy, load_serve_file, stream_registry
from workbench.features.streams.serve import Server
from workbench.media.health import read_health

CRASH_AFTER = 150  # frames: 6 s of the 25 fps clip, past its first three crossings (frames 80, 99, 136)


class CrashOnceConfig(BlockConfig):
    marker: str = Field(..., description="File written when the block crashes; once it exists, no more crashes")
    after_frames: int = Field(CRASH_AFTER, ge=1, description="Crash after this many frames")


class CrashOnce(Block[CrashOnceConfig]):
    """Passes frames on; on its first run (no marker file yet) it raises after `after_frames` frames."""

    type_id = "testing/crash_once@v1"
    Config = CrashOnceConfig
    inputs = (Port("image", Kind.IMAGE),)
    outputs = (Port("image", Kind.IMAGE),)

    def start(self, ctx: StreamContext) -> Any:
        return {"frames": 0}

    def process(self, state: Any, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        state["frames"] += 1
        marker = Path(self.config.marker)
        if state["frames"] > self.config.after_frames and not marker.exists():
            marker.write_text("crashed once", encoding="utf-8")
            raise RuntimeError("simulated crash in the middle of the stream")
        return {"image": inputs["image"]}


def crashing_pipeline(marker: Path) -> PipelineSpec:
    data = counting_pipeline({"type": "sources/video_file@v1", "config": {"path": "replaced by serve"}}).to_dict()
    data["nodes"].insert(1, {"id": "crash", "type": CrashOnce.type_id, "config": {"marker": str(marker)}})
    data["edges"] = [{"from": "src.frames", "to": "crash.image"}, {"from": "crash.image", "to": "motion.image"},
                     *[e for e in data["edges"] if e["from"] != "src.frames"]]
    return parse_spec(data)


def test_a_crashed_camera_restarts_and_keeps_what_its_first_run_produced(traffic_clip, tmp_path):
    marker = tmp_path / "crashed"
    registry = BlockRegistry.of([*stream_registry().blocks.values(), CrashOnce])
    every_frame = {"src": {"drop_policy": "every"}}  # the crash comes before the clip's end, however busy the machine
    cam = CameraEntry(id="gate-1", url=str(traffic_clip), site=every_frame)
    server = Server(crashing_pipeline(marker), [cam], tmp_path / "out", registry, RestartPolicy(initial_s=1.0)).start()
    run = server.runs[0]
    thread = run.thread
    all_events = tmp_path / "out" / "events.jsonl"
    try:
        wait_for(lambda: run.status == "restarting", 30, "the crash")
        h = run.health()
        assert h.state == "restarting" and not h.connected and "simulated crash" in h.last_error
        before = read_events(all_events)
        wait_for(lambda: run.restarts == 1 and run.health().state == "connected", 10, "the restart")
        wait_for(lambda: len(read_events(all_events)) > len(before), 20, "events after the restart")
        assert run.thread is thread  # the same camera thread supervises its runs
    finally:
        server.stop()

    assert before and marker.exists()
    events = read_events(all_events)
    assert events[:len(before)] == before and len(events) > len(before)  # events.jsonl went on across the restart
    assert {e["camera"] for e in events} == {"gate-1"}
    first = tmp_path / "out" / "gate-1" / "previous-runs" / "0001"
    crashed = json.loads((first / "summary.json").read_text())
    assert crashed["status"] == "error" and "simulated crash" in crashed["error"]
    assert read_events(first / "events.jsonl") == [{k: v for k, v in e.items() if k != "camera"} for e in before]
    current = json.loads((tmp_path / "out" / "gate-1" / "summary.json").read_text())
    assert current["status"] in ("cancelled", "done") and current["frames"] > 0  # ended by stop(), no error
    assert len(read_events(tmp_path / "out" / "gate-1" / "events.jsonl")) == len(events) - len(before)
    (health,) = read_health(tmp_path / "out" / "health.json")
    assert health.restarts == 1 and health.state == "stopped"
    assert run.status == "stopped" and run.events == len(events)


def test_a_camera_that_cannot_open_is_retried_with_growing_waits_and_never_after_stop(tmp_path):
    missing = tmp_path / "not-there.mp4"
    policy = RestartPolicy(initial_s=0.2, max_s=0.8, factor=2.0)
    server = Server(counting_pipeline({"type": "sources/video_file@v1", "config": {"path": "x"}}),
                    [CameraEntry(id="gone", url=str(missing))], tmp_path / "out", restart=policy).start()
    run = server.runs[0]
    try:
        wait_for(lambda: run.restarts >= 3, 20, "three restarts")
        h = run.health()
        assert h.state in ("restarting", "running") and h.restarts >= 3
        assert run.error and str(missing) in run.error  # the last error names what is missing
    finally:
        began = time.monotonic()
        server.stop()
    assert time.monotonic() - began < 2  # a waiting restart is cancelled, not waited out
    restarts = run.restarts
    time.sleep(1.0)
    assert run.restarts == restarts and not run.alive() and run.status in ("stopped", "error")
    (health,) = read_health(tmp_path / "out" / "gone" / "health.json")
    assert health.restarts == restarts


def test_restart_waits_double_up_to_the_limit_and_reset_after_a_good_run():
    policy = RestartPolicy(initial_s=1, max_s=5, factor=2, reset_after_s=60)
    waits, wait = [], None
    for _ in range(5):
        wait = policy.next_wait(wait, ran_s=3)
        waits.append(wait)
    assert waits == [1, 2, 4, 5, 5]
    assert policy.next_wait(5, ran_s=61) == 1  # the run before this failure was fine for a minute


def test_restart_settings_in_the_cameras_file_are_checked(tmp_path):
    path = tmp_path / "cameras.yaml"
    path.write_text(yaml.safe_dump({"pipeline": "p.yaml", "restart": {"initial_s": 10, "max_s": 5},
                                    "cameras": [{"id": "a", "url": "rtsp://x/1"}]}))
    with pytest.raises(WorkbenchError) as err:
        load_serve_file(path)
    assert (err.value.problems[0].code, err.value.problems[0].field) == ("serve_file_invalid", "restart.max_s")
    path.write_text(yaml.safe_dump({"pipeline": "p.yaml", "cameras": [{"id": "a", "url": "rtsp://x/1"}]}))
    assert load_serve_file(path).restart == RestartPolicy(initial_s=1, max_s=60, factor=2, reset_after_s=60)


def test_earlier_runs_are_numbered_and_health_stays(tmp_path):
    folder = tmp_path / "cam"
    assert keep_earlier_outputs(folder) is None
    folder.mkdir()
    (folder / "health.json").write_text("{}")
    assert keep_earlier_outputs(folder) is None  # nothing but the health file: nothing to keep
    for n in (1, 2):
        (folder / "summary.json").write_text(json.dumps({"run": n}))
        (folder / "snapshots").mkdir()
        (folder / "snapshots" / "a.jpg").write_bytes(b"x")
        assert keep_earlier_outputs(folder) == folder / "previous-runs" / f"{n:04d}"
    assert json.loads((folder / "previous-runs" / "0002" / "summary.json").read_text()) == {"run": 2}
    assert (folder / "previous-runs" / "0001" / "snapshots" / "a.jpg").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["health.json", "previous-runs"]


def test_bad_site_settings_are_reported_at_once_and_nothing_starts(tmp_path):
    spec = counting_pipeline({"type": "sources/video_file@v1", "config": {"path": "x"}})
    cameras = [CameraEntry(id="ok", url="rtsp://127.0.0.1:9/a"),
               CameraEntry(id="gate-2", url="rtsp://127.0.0.1:9/b", site={"count_line": {"start": "left"}})]
    server = Server(spec, cameras, tmp_path / "out")
    with pytest.raises(WorkbenchError) as err:
        server.start()
    (problem,) = err.value.problems
    assert (problem.node, problem.field) == ("gate-2/count_line", "config.start")  # which camera, node and field
    assert all(run.thread is None for run in server.runs) and not (tmp_path / "out" / "ok").exists()
