"""Job folders (workbench.jobs.folder): ids, request/worker files, the cancel flag and the state read back."""

from __future__ import annotations

import json
import sys
import time

import pytest

from workbench.core.errors import Problem
from workbench.jobs import folder as jf

WORKER_MODULE = "tests_job_worker"  # written into the test's folder: `python -m` finds it in the worker's cwd


def test_a_job_folder_is_created_with_its_request_and_found_again(tmp_path):
    job_id, folder = jf.create_job(tmp_path / "jobs", {"what": "x"})
    assert jf.is_job_id(job_id) and folder == tmp_path / "jobs" / job_id
    request = json.loads((folder / jf.REQUEST_FILE).read_text())
    assert list(request)[:3] == ["id", "created", "started"] and request["what"] == "x"
    assert jf.job_folder(tmp_path / "jobs", job_id) == folder
    assert jf.job_ids(tmp_path / "jobs") == [job_id]
    for bad in ("../etc", "nope", "20260101-000000-zzzz", "20260101-000000-abcd"):
        with pytest.raises(KeyError):
            jf.job_folder(tmp_path / "jobs", bad)
    with pytest.raises(KeyError):  # a marker file that is not there
        jf.job_folder(tmp_path / "jobs", job_id, marker="info.json")
    assert jf.job_ids(tmp_path / "jobs", marker="info.json") == [] and jf.job_ids(tmp_path / "missing") == []


def test_the_cancel_flag(tmp_path):
    check = jf.cancel_check(tmp_path)
    assert not check() and not jf.cancel_requested(tmp_path)
    jf.request_cancel(tmp_path)
    assert check() and jf.cancel_requested(tmp_path) and jf.read_job(tmp_path).cancel_requested


def test_a_started_worker_is_recorded_and_its_state_follows_it(tmp_path):
    (tmp_path / f"{WORKER_MODULE}.py").write_text(
        "import pathlib, sys, time\n"
        "folder = pathlib.Path(sys.argv[1])\n"
        "while not (folder / 'cancel').exists():\n"
        "    time.sleep(0.05)\n"
        "print('cancelled')\n")
    _, folder = jf.create_job(tmp_path / "jobs", {})
    facts = jf.start_worker(folder, WORKER_MODULE, cwd=tmp_path)
    assert json.loads((folder / jf.WORKER_FILE).read_text()) == facts
    job = jf.read_job(folder)
    assert job.alive and job.state(working=False, outcome=None, grace_s=30) == "queued"
    assert job.state(working=True, outcome=None, grace_s=30) == "running"
    jf.request_cancel(folder)
    deadline = time.monotonic() + 30
    while jf.read_job(folder).alive:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert jf.read_job(folder).state(working=True, outcome=None, grace_s=30) == "lost"  # it left no outcome
    assert jf.read_job(folder).state(working=True, outcome="cancelled", grace_s=30) == "cancelled"
    assert "cancelled" in (folder / jf.LOG_FILE).read_text()


def test_the_state_of_a_job_whose_worker_is_not_running(tmp_path, capsys):
    _, folder = jf.create_job(tmp_path, {})
    assert jf.read_job(folder).state(False, None, grace_s=30) == "queued"  # just created: the worker comes
    assert jf.read_job(folder).state(False, None, grace_s=0) == "lost"
    assert jf.worker_exit(folder, []) == 0 and not (folder / jf.PROBLEMS_FILE).exists()
    assert jf.worker_exit(folder, [Problem("block_crashed", params={"detail": "boom"})]) == 1
    assert "boom" in capsys.readouterr().err
    job = jf.read_job(folder)
    assert [p.code for p in job.problems] == ["block_crashed"] and job.state(False, None, grace_s=30) == "error"
    assert job.state(False, "done", grace_s=30) == "done"  # the worker's own outcome comes first


def test_the_worker_is_python_of_this_environment(tmp_path):
    (tmp_path / f"{WORKER_MODULE}.py").write_text("import sys; print(sys.executable)\n")
    _, folder = jf.create_job(tmp_path / "jobs", {})
    facts = jf.start_worker(folder, WORKER_MODULE, cwd=tmp_path)
    deadline = time.monotonic() + 30
    while jf.read_job(folder).alive:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert facts["pid"] > 0 and (folder / jf.LOG_FILE).read_text().strip() == sys.executable
