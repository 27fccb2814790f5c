"""A pipeline from another district names the files its sinks write: they stay in the run folder or in a folder the
operator's policy lists in write_dirs (workbench.core.write_paths.writable_path), '..' and symlinks resolved first."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
import yaml
from toy_blocks import ToyDetector, ToyRule, ToySource, ToyTracker

from blocks.sinks.annotated_video import AnnotatedVideo, AnnotatedVideoConfig
from blocks.sinks.events_file import EventsFile, EventsFileConfig
from blocks.sinks.snapshots import Snapshots, SnapshotsConfig
from blocks.sinks.webhook import Webhook, WebhookConfig
from blocks.sinks.work_order import WorkOrder, WorkOrderConfig, list_orders
from workbench.core.block import StreamContext
from workbench.core.errors import BlockError, PipelineInvalid
from workbench.core.registry import BlockRegistry
from workbench.engine.runner import RunOptions, run_pipeline
from workbench.engine.spec import spec_from_yaml
from workbench.engine.validate import validate

REGISTRY = BlockRegistry.of((ToySource, ToyDetector, ToyTracker, ToyRule, WorkOrder, EventsFile))


@pytest.fixture
def policy(tmp_path, monkeypatch):
    """The operator's policy file (WORKBENCH_POLICY); absent until written: the defaults (no write_dirs) hold."""
    path = tmp_path / "operator" / "policy.yaml"
    monkeypatch.setenv("WORKBENCH_POLICY", str(path))

    def write(**settings) -> Path:
        path.parent.mkdir(exist_ok=True)
        path.write_text(yaml.safe_dump({k: [str(v) for v in vals] for k, vals in settings.items()}), encoding="utf-8")
        return path

    return write


@pytest.fixture
def victim(tmp_path) -> Path:
    """Another application's SQLite file (rollback journal, one table) in a folder no policy lists."""
    path = tmp_path / "other_app" / "other.sqlite"
    path.parent.mkdir()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE accounts (name TEXT)")
        conn.execute("INSERT INTO accounts VALUES ('admin')")
    conn.close()
    return path


def imported(database: str) -> str:
    """An imported pipeline's YAML (as import saves it, meta.origin set) whose work_order names `database`."""
    return yaml.safe_dump({
        "version": 1, "meta": {"name": "muck", "origin": "north/muck@1.0.0"},
        "nodes": [
            {"id": "src", "type": "sources/toy@v1", "config": {"frames": 6}},
            {"id": "det", "type": "detection/toy@v1"},
            {"id": "trk", "type": "tracking/toy@v1"},
            {"id": "rule", "type": "rules/toy@v1", "config": {"every": 2}},
            {"id": "orders", "type": "sinks/work_order@v1", "config": {"database": database, "dedupe_seconds": 0}},
        ],
        "edges": [
            {"from": "src.frames", "to": "det.image"},
            {"from": "det.detections", "to": "trk.detections"},
            {"from": "trk.tracks", "to": "rule.tracks"},
            {"from": "rule.events", "to": "orders.events"},
        ],
    })


def ctx(out: Path | None) -> StreamContext:
    return StreamContext(out_dir=out, source="s.mp4", fps=25.0, frame_size=(64, 48))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (names and bytes): to show nothing was created or changed there."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def the_problem(err: pytest.ExceptionInfo) -> object:
    (problem,) = [p for p in err.value.problems if p.code == "write_outside"]
    return problem


def test_imported_pipeline_writing_another_apps_database_is_refused(tmp_path, victim, policy):
    before = snapshot(victim.parent)
    spec = spec_from_yaml(imported(str(victim)))

    problems = [p for p in validate(spec, REGISTRY) if p.code == "write_outside"]  # the Build page shows it
    assert [(p.node, p.field, p.severity) for p in problems] == [("orders", "database", "error")]
    for lang in ("en", "zh"):
        text = problems[0].message(lang)
        assert str(victim) in text and "write_dirs" in text and str(tmp_path / "operator" / "policy.yaml") in text

    with pytest.raises(PipelineInvalid):  # the run stops before any block starts
        run_pipeline(spec, RunOptions(out_dir=tmp_path / "run"), REGISTRY)
    with pytest.raises(BlockError) as err:  # and the block itself refuses, whoever calls start()
        WorkOrder(WorkOrderConfig(database=str(victim)), "orders").start(ctx(tmp_path / "run"))
    assert (the_problem(err).node, the_problem(err).field) == ("orders", "database")

    assert snapshot(victim.parent) == before  # same bytes, no -wal/-shm, still not WAL
    with sqlite3.connect(victim) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["accounts"]
    conn.close()


def test_new_database_outside_is_not_created(tmp_path, policy):
    target = tmp_path / "elsewhere" / "new.sqlite"
    target.parent.mkdir()
    with pytest.raises(BlockError) as err:
        WorkOrder(WorkOrderConfig(database=str(target)), "orders").start(ctx(tmp_path / "run"))
    assert the_problem(err).code == "write_outside"
    assert list(target.parent.iterdir()) == []


@pytest.mark.parametrize("database", ["../../x.sqlite", "sub/../../../x.sqlite"])
def test_climbing_out_of_the_run_folder_is_refused(tmp_path, policy, database):
    run = tmp_path / "a" / "b" / "run"
    run.mkdir(parents=True)
    spec = spec_from_yaml(imported(database))
    assert [(p.node, p.field) for p in validate(spec, REGISTRY) if p.code == "write_outside"] == [
        ("orders", "database")]
    with pytest.raises(BlockError) as err:
        WorkOrder(WorkOrderConfig(database=database), "orders").start(ctx(run))
    assert the_problem(err).field == "database"
    assert not (tmp_path / "a" / "x.sqlite").exists() and not (tmp_path / "x.sqlite").exists()
    assert list(run.iterdir()) == []


def test_a_folder_in_write_dirs_is_allowed(tmp_path, policy):
    shared = tmp_path / "shared"
    shared.mkdir()
    policy(write_dirs=[shared])
    db = shared / "queue.sqlite"
    spec = spec_from_yaml(imported(str(db)))
    assert [p for p in validate(spec, REGISTRY) if p.code == "write_outside"] == []

    summary = run_pipeline(spec, RunOptions(out_dir=tmp_path / "run"), REGISTRY)
    assert summary["status"] == "done" and summary["outputs"]["orders"]["orders"] == 3
    assert len(list_orders(db)) == 3
    # the policy names a folder, not a prefix: a sibling with a longer name stays refused
    sibling = tmp_path / "shared-other"
    sibling.mkdir()
    with pytest.raises(BlockError):
        WorkOrder(WorkOrderConfig(database=str(sibling / "q.sqlite")), "orders").start(ctx(tmp_path / "run2"))
    assert list(sibling.iterdir()) == []


def test_a_plain_name_stays_in_the_run_folder(tmp_path, policy):
    summary = run_pipeline(spec_from_yaml(imported("orders/queue.sqlite")), RunOptions(out_dir=tmp_path / "run"),
                           REGISTRY)
    assert summary["status"] == "done"
    assert len(list_orders(tmp_path / "run" / "orders" / "queue.sqlite")) == 3


def test_a_symlink_in_write_dirs_leading_elsewhere_is_refused(tmp_path, victim, policy):
    shared = tmp_path / "shared"
    shared.mkdir()
    policy(write_dirs=[shared])
    (shared / "queue.sqlite").symlink_to(victim)
    before = snapshot(victim.parent)
    with pytest.raises(BlockError):
        WorkOrder(WorkOrderConfig(database=str(shared / "queue.sqlite")), "orders").start(ctx(tmp_path / "run"))
    assert snapshot(victim.parent) == before


def make_sink(kind: str):
    """A sink, the name it writes in the run folder, and that name's setting."""
    return {
        "work_order": (WorkOrder(WorkOrderConfig(), "n"), "work_orders.sqlite", "database"),
        "events_file": (EventsFile(EventsFileConfig(formats=("jsonl",)), "n"), "events.jsonl", "name"),
        "annotated_video": (AnnotatedVideo(AnnotatedVideoConfig(), "n"), "annotated.mp4", "filename"),
        "snapshots": (Snapshots(SnapshotsConfig(), "n"), "snapshots", "folder"),
        "webhook": (Webhook(WebhookConfig(url="http://127.0.0.1:9/hook", allowed_hosts=("127.0.0.1",)), "n"),
                    "webhook_failed.jsonl", "url"),
    }[kind]


@pytest.mark.parametrize("kind", ["work_order", "events_file", "annotated_video", "snapshots", "webhook"])
def test_a_symlink_in_the_run_folder_pointing_outside_is_refused(tmp_path, victim, policy, kind):
    policy(webhook_hosts=["127.0.0.1"])  # the webhook may post; where it records failures is what is tested
    run = tmp_path / "run"
    run.mkdir()
    block, name, field = make_sink(kind)
    target = victim.parent if kind == "snapshots" else victim
    (run / name).symlink_to(target)
    before = snapshot(victim.parent)
    with pytest.raises(BlockError) as err:
        block.start(ctx(run))
    problem = the_problem(err)
    assert (problem.node, problem.field) == ("n", field)
    assert snapshot(victim.parent) == before
    assert os.path.islink(run / name)


def test_a_dangling_symlink_among_snapshots_is_not_followed(tmp_path, policy):
    from support import make_frame

    from workbench.core.events import Event

    run = tmp_path / "run"
    block = Snapshots(SnapshotsConfig(), "snap")
    state = block.start(ctx(run))
    outside = tmp_path / "outside.jpg"
    (run / "snapshots" / "000000_r_t_1.jpg").symlink_to(outside)  # the name the first crop would take
    ev = Event(time="2026-01-01T00:00:00", pts=0.0, frame=0, node="r", type="t", track_id=1, bbox=(1, 1, 30, 30))
    (out,) = block.process(state, make_frame(0), {"events": (ev,)})["events"]
    assert not outside.exists()
    assert out.snapshot == "snapshots/000000_r_t_1_2.jpg" and (run / out.snapshot).is_file()
