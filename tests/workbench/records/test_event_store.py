"""The event store on SQLite and on a real PostgreSQL (`database_url`): idempotent ingest, a writer killed mid-batch,
two writers at once, filters that look like SQL, and a database URL that is wrong."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from event_store_support import background_run_folder, make_events
from services.ports import free_ports
from sqlalchemy import func, inspect, select

from workbench.apps.cli import main
from workbench.records.database import open_database
from workbench.records.event_store import EventQuery, EventSource, count_events, events, find_events
from workbench.records.event_writer import EventWriter

ROOT = Path(__file__).resolve().parents[3]


def stored(url: str) -> list[tuple[str, int]]:
    with open_database(url).connect() as connection:
        return [tuple(r) for r in connection.execute(select(events.c.source_id, events.c.seq).order_by(
            events.c.source_id, events.c.seq))]


def cli(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_ingesting_a_run_twice_adds_its_events_once(database_url, tmp_path, capsys):
    run = background_run_folder(tmp_path / "20261208-080000-ab12", make_events(2500))

    code, said = cli(capsys, "events", "ingest", str(run))
    assert code == 0 and "2500 events read, 2500 added, 0 already stored" in said
    code, said = cli(capsys, "events", "ingest", str(run))
    assert code == 0 and "2500 events read, 0 added, 2500 already stored" in said
    assert len(stored(database_url)) == 2500

    code, said = cli(capsys, "events", "list", "--camera", "gate-1", "--since", "2026-12-08T08:00",
                     "--until", "2026-12-08T08:01", "--class", "car", "--json")
    found = [json.loads(line) for line in said.splitlines()]
    assert code == 0 and len(found) == 30  # 120 events in the first minute, a quarter of them cars
    assert all(e["class_name"] == "car" and e["camera"] == "gate-1" for e in found)
    assert found[0]["snapshot"] == f"{run}/output/snapshots/000000_count_line_line_crossing_0.jpg"
    assert found[0]["attributes"]["bbox"] == [10.0, 20.0, 110.0, 90.0]

    export = tmp_path / "day.csv"
    code, said = cli(capsys, "events", "export", str(export), "--camera", "gate-1")
    assert code == 0 and f"2500 events written to {export}" in said
    assert len(export.read_text(encoding="utf-8-sig").splitlines()) == 2501


def _ingest_process(run: Path, url: str, batch: int) -> subprocess.Popen:
    code = ("import sys; from pathlib import Path; from workbench.features.events.ingest import ingest_folder; "
            f"ingest_folder(Path(sys.argv[1]), batch={batch})")
    env = {**os.environ, "WORKBENCH_DATABASE_URL": url}
    return subprocess.Popen([sys.executable, "-c", code, str(run)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_a_writer_killed_mid_batch_leaves_whole_batches_and_an_ingest_completes_them(database_url, tmp_path, capsys):
    total, batch = 60_000, 500
    run = background_run_folder(tmp_path / "20261208-080000-cd34", make_events(total))
    open_database(database_url)  # schema made before the writer starts
    writer = _ingest_process(run, database_url, batch)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and writer.poll() is None and len(stored(database_url)) < 3 * batch:
        time.sleep(0.01)
    assert writer.poll() is None, f"the writer ended before it could be killed: {writer.stdout.read()}"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()

    kept = stored(database_url)
    assert 0 < len(kept) < total and len(kept) % batch == 0, len(kept)
    assert [seq for _, seq in kept] == list(range(len(kept)))  # whole batches, in order, nothing half written

    code, said = cli(capsys, "events", "ingest", str(run))
    assert code == 0 and f"{total} events read, {total - len(kept)} added, {len(kept)} already stored" in said
    assert [seq for _, seq in stored(database_url)] == list(range(total))


@pytest.mark.slow
def test_a_camera_group_and_the_app_write_at_the_same_time(database_url, tmp_path):
    run = background_run_folder(tmp_path / "20261208-090000-ef56", make_events(20_000), camera="gate-2")
    open_database(database_url)
    camera_events = make_events(5_000, camera_tag="cam-1")
    writer = EventWriter(database_url, batch=200)
    source = EventSource(id=f"serve:{tmp_path}/cam-1", camera="cam-1", folder=str(tmp_path / "cam-1"))

    def camera() -> None:  # a camera thread handing its events over frame by frame, never waiting
        for i in range(0, len(camera_events), 5):
            assert writer.put(source, i, camera_events[i:i + 5])
            time.sleep(0.001)

    thread = threading.Thread(target=camera)
    app = _ingest_process(run, database_url, batch=1000)
    thread.start()
    assert app.wait(timeout=300) == 0, app.stdout.read()
    thread.join()
    assert writer.close(timeout=60)
    assert writer.stats.failed == 0 and writer.stats.dropped == 0
    engine = open_database(database_url)
    assert count_events(engine, EventQuery(camera="cam-1")) == 5_000
    assert count_events(engine, EventQuery(camera="gate-2")) == 20_000


def test_filters_that_look_like_sql_are_only_text(database_url, tmp_path, capsys):
    evil_camera = "gate'; DROP TABLE events; --"
    evil_class = "car' OR '1'='1"
    events_ = make_events(40)
    events_[7] = dataclasses.replace(events_[7], class_name=evil_class)
    run = background_run_folder(tmp_path / "20261208-100000-0a0b", events_, camera=evil_camera)
    assert cli(capsys, "events", "ingest", str(run))[0] == 0

    code, said = cli(capsys, "events", "list", "--camera", "x' OR '1'='1", "--json")
    assert code == 0 and said.strip() == ""
    code, said = cli(capsys, "events", "list", "--class", evil_class, "--json")
    assert [json.loads(line)["seq"] for line in said.splitlines()] == [7]
    code, said = cli(capsys, "events", "list", "--camera", evil_camera, "--rule", "count_line' --", "--json")
    assert code == 0 and said.strip() == ""
    engine = open_database(database_url)
    assert "events" in inspect(engine).get_table_names()
    assert len(find_events(engine, EventQuery(camera=evil_camera))) == 40
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(events)).scalar_one() == 40


def test_a_bad_database_url_is_a_user_error_that_hides_the_password(monkeypatch, capsys, postgres_server):
    from workbench.records.database import forget_engines

    (port,) = free_ports(1)
    wrong = postgres_server.url("postgres").replace(postgres_server.password, "Wr0ngPassw0rd")
    for url, secret in ((f"postgresql+psycopg://workbench:S3cretPassw0rd@127.0.0.1:{port}/records", "S3cretPassw0rd"),
                        (wrong, "Wr0ngPassw0rd")):
        forget_engines()
        monkeypatch.setenv("WORKBENCH_DATABASE_URL", url)
        code, said = cli(capsys, "events", "list", "--camera", "gate-1")
        assert code == 1, said
        assert "WORKBENCH_DATABASE_URL" in said and secret not in said and "Traceback" not in said
        assert "***" in said
    forget_engines()


def _a_page() -> None:
    import streamlit as st

    st.write("a page")


def test_the_writer_starts_in_a_process_whose_main_script_is_a_streamlit_page(database_url):
    """Streamlit (and its AppTest) make the page script `__main__`; a spawned writer used to re-run it and die."""
    from streamlit.testing.v1 import AppTest

    AppTest.from_function(_a_page).run()  # its generated script stays `__main__` and fails outside AppTest
    writer = EventWriter(database_url, batch=10)
    source = EventSource("run:page", camera="gate-1")
    assert writer.put(source, 0, make_events(25))
    assert writer.close(timeout=60)
    assert len(stored(database_url)) == 25
