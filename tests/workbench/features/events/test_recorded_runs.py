"""Runs and camera groups put every event into the event store as they go (SQLite and PostgreSQL), and ingesting
their folders afterwards adds nothing."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from stream_support import counting_pipeline, read_events

from workbench.engine.spec import load_spec, save_spec
from workbench.features.events.ingest import ingest_folder
from workbench.features.streams.cameras import CameraEntry
from workbench.features.streams.serve import Server
from workbench.jobs import runs as jobs
from workbench.jobs.folder import create_job
from workbench.records.database import open_database
from workbench.records.event_store import EventQuery, find_events

PIPELINE = Path(__file__).resolve().parents[4] / "pipelines" / "vehicle_count_line.yaml"


@pytest.fixture(scope="module")
def traffic(tmp_path_factory) -> Path:
    from workbench.features.synth import generate

    return generate("traffic", tmp_path_factory.mktemp("clip"), seed=0).video


@pytest.mark.slow
def test_a_background_run_stores_every_event_with_its_snapshot(database_url, traffic, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    spec = load_spec(PIPELINE)
    request = jobs.RunRequest(source=str(traffic), camera="gate-1")
    run_id, folder = create_job(jobs.runs_root(), {"pipeline": spec.meta.name, "request": dataclasses.asdict(request)})
    save_spec(spec, folder / jobs.PIPELINE_FILE)
    assert jobs.work(folder) == 0  # the worker's own function, in this process

    summary = json.loads((folder / "output" / "summary.json").read_text(encoding="utf-8"))
    assert summary["event_store"] == {"source_id": f"run:{run_id}", "events": summary["event_total"], "complete": True}
    found = find_events(open_database(), EventQuery(camera="gate-1"))
    logged = [json.loads(line) for line in (folder / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(found) == len(logged) == summary["event_total"] == 14
    assert [(e["frame"], e["track_id"], e["direction"]) for e in found] == \
        [(e["frame"], e["track_id"], e["direction"]) for e in logged]
    assert {e["pipeline"] for e in found} == {spec.meta.name} and {e["pipeline_version"] for e in found} == {"1.0.0"}
    assert all(Path(e["snapshot"]).is_file() and e["snapshot"].startswith(str(folder.resolve())) for e in found)

    again = ingest_folder(folder)
    assert (again.read, again.added) == (14, 0)


@pytest.mark.slow
def test_a_camera_group_stores_each_cameras_events_and_numbers_on_after_a_restart(database_url, traffic, tmp_path):
    spec = counting_pipeline({"type": "sources/video_file@v1", "config": {"path": "replaced by serve"}})
    every_frame = {"src": {"realtime": False, "drop_policy": "every"}}
    cameras = [CameraEntry(id=cam, url=str(traffic), site=every_frame) for cam in ("east", "west")]
    out = tmp_path / "out"
    for _ in range(2):  # a second serve into the same folder: its events follow the first's
        server = Server(spec, cameras, out).start()
        assert server.wait(120)
        server.stop()
    lines = read_events(out / "events.jsonl")
    engine = open_database()
    for cam in ("east", "west"):
        stored = find_events(engine, EventQuery(camera=cam))
        count = sum(e["camera"] == cam for e in lines)
        assert count > 0 and len(stored) == count
        assert sorted(e["seq"] for e in stored) == list(range(count))
    again = ingest_folder(out)
    assert (again.read, again.added) == (len(lines), 0)


def test_a_batchs_clips_stored_by_its_driver_are_not_stored_again_by_an_ingest(database_url, tmp_path):
    from event_store_support import make_events

    from workbench.features.batch.report import ClipRecord, append_events, store_clip_events, write_summary

    out = tmp_path / "batch"
    out.mkdir()
    header = {"pipeline_name": "vehicle-count-line", "pipeline_version": "1.0.0",
              "started": "2026-12-08T02:00:00+00:00"}
    write_summary(out, header, [ClipRecord(clip=c, source=f"/clips/{c}.mp4") for c in ("a", "b")])
    for clip, count in (("a", 30), ("b", 12)):  # what the driver does as each clip finishes
        events = [e.to_dict() for e in make_events(count)]
        append_events(out, clip, events)
        store_clip_events(out, header, clip, events)
    stored = find_events(open_database(), EventQuery(camera="a"))
    assert len(stored) == 30 and {e["pipeline"] for e in stored} == {"vehicle-count-line"}
    assert stored[0]["snapshot"] == f"{out.resolve()}/a/snapshots/000000_count_line_line_crossing_0.jpg"
    again = ingest_folder(out)
    assert (again.read, again.added) == (42, 0)
