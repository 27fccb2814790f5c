from __future__ import annotations

import dataclasses
import sqlite3

import pytest
from support import make_frame

from blocks.sinks.work_order import STATUSES, WorkOrder, WorkOrderConfig, list_orders, set_status
from workbench.core.block import StreamContext
from workbench.core.errors import BlockError
from workbench.core.events import Event


def ctx(out, camera="cam-east"):
    return StreamContext(out_dir=out, source="east.mp4", fps=25.0, frame_size=(640, 360), camera=camera)


def event(second: int, track=5, type_="stopped", region="lane") -> Event:
    return Event(time=f"2026-11-23T12:00:{second:02d}", pts=float(second), frame=second * 25, node="stop", type=type_,
                 track_id=track, class_name="truck", region=region, value=30.0, bbox=(1.0, 2.0, 3.0, 4.0),
                 trajectory=((10.0, 20.0), (12.0, 21.5)), snapshot=f"snapshots/{second}.jpg")


def run(block, out, batches, camera="cam-east"):
    state = block.start(ctx(out, camera))
    results = [block.process(state, make_frame(i), {"events": batch})["events"] for i, batch in enumerate(batches)]
    return results, block.finish(state)


def test_orders_created_open_with_site_and_trajectory(tmp_path):
    block = WorkOrder(WorkOrderConfig(site="北区工地 3", event_types=("stopped",)), "orders")
    given = (event(1), event(1, track=9, type_="line_crossing"))
    (out,), facts = run(block, tmp_path, [given])

    assert out[0].work_order.startswith("WO-") and out[1] == given[1]  # only chosen types make orders
    assert given[0].work_order == ""  # input events are not changed
    assert facts == {"database": "work_orders.sqlite", "orders": 1}
    (order,) = list_orders(tmp_path / "work_orders.sqlite")
    assert order["id"] == out[0].work_order
    assert order["status"] == "open"
    assert order["site"] == "北区工地 3" and order["camera"] == "cam-east"
    assert (order["event_type"], order["track_id"], order["class_name"], order["region"]) == ("stopped", 5, "truck",
                                                                                               "lane")
    assert order["trajectory"] == [[10.0, 20.0], [12.0, 21.5]]
    assert order["snapshot"] == "snapshots/1.jpg"
    assert order["event"]["value"] == 30.0 and order["event"]["work_order"] == order["id"]


def test_durable_shared_queue_with_wal(tmp_path, monkeypatch):
    db = tmp_path / "shared" / "queue.sqlite"
    db.parent.mkdir()
    policy = tmp_path / "policy.yaml"  # a queue outside the run folders: the operator allows its folder
    policy.write_text(f"write_dirs: ['{db.parent}']\n", encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_POLICY", str(policy))
    cfg = WorkOrderConfig(database=str(db), dedupe_seconds=0)
    run(WorkOrder(cfg, "orders"), tmp_path / "run1", [(event(1),)], camera="cam-a")
    run(WorkOrder(cfg, "orders"), tmp_path / "run2", [(event(2),), (event(3),)], camera="cam-b")
    orders = list_orders(db)
    assert [o["camera"] for o in orders] == ["cam-a", "cam-b", "cam-b"]
    assert len({o["id"] for o in orders}) == 3
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_dedupe_same_track_and_type(tmp_path):
    block = WorkOrder(WorkOrderConfig(dedupe_seconds=10), "orders")
    other_rule = dataclasses.replace(event(5), node="stop2")
    batches = [(event(0),), (event(5),), (event(5, track=6),), (event(5, type_="wrong_way"),), (other_rule,),
               (event(11),)]
    results, facts = run(block, tmp_path, batches)
    ids = [r[0].work_order for r in results]
    assert ids[1] == ids[0]  # within 10 s: linked to the existing order, no second one
    assert len(set(ids)) == 5  # other track, type or rule, and the same one 11 s later each make an order
    assert facts["orders"] == 5 == len(list_orders(tmp_path / "work_orders.sqlite"))


def test_dedupe_zero_is_off(tmp_path):
    (out,), facts = run(WorkOrder(WorkOrderConfig(dedupe_seconds=0), "orders"), tmp_path, [(event(3), event(3))])
    assert out[0].work_order != out[1].work_order and facts["orders"] == 2


def test_set_status_validates(tmp_path):
    db = tmp_path / "work_orders.sqlite"
    (out,), _ = run(WorkOrder(WorkOrderConfig(), "orders"), tmp_path, [(event(1), event(2, track=8))])
    set_status(db, out[0].work_order, "dispatched")
    assert [o["id"] for o in list_orders(db, "dispatched")] == [out[0].work_order]
    assert [o["id"] for o in list_orders(db, "open")] == [out[1].work_order]
    set_status(db, out[0].work_order, "closed")
    assert list_orders(db, "closed")[0]["updated"] >= list_orders(db, "closed")[0]["created"]
    with pytest.raises(ValueError, match="unknown status 'deleted'"):
        set_status(db, out[0].work_order, "deleted")
    with pytest.raises(KeyError):
        set_status(db, "WO-19700101-nothere", "closed")
    with pytest.raises(ValueError, match="unknown status 'lost'"):
        list_orders(db, "lost")
    missing = tmp_path / "elsewhere.sqlite"
    assert list_orders(missing) == [] and not missing.exists()  # looking does not create a queue
    with pytest.raises(KeyError):
        set_status(missing, out[0].work_order, "closed")
    assert STATUSES == ("open", "dispatched", "closed")


def test_bad_database_is_a_block_error(tmp_path):
    with pytest.raises(BlockError) as err:
        WorkOrder(WorkOrderConfig(database=str(tmp_path / "missing" / "q.sqlite")), "orders").start(ctx(tmp_path))
    p = err.value.problems[0]
    assert (p.code, p.node, p.field) == ("work_order_db", "orders", "database")
    not_db = tmp_path / "notes.sqlite"
    not_db.write_text("this is not a database, just text " * 100)
    with pytest.raises(BlockError) as err:
        WorkOrder(WorkOrderConfig(database=str(not_db)), "orders").start(ctx(tmp_path))
    assert err.value.problems[0].code == "work_order_db"
