"""Issue 13, attack 2: a camera password or a secret header published to every district, or left readable in a run
folder, its log and the Run page. Publishing refuses them; run files holding them are owner-only; everything written
or shown about a run hides the password."""

from __future__ import annotations

import json
import socket
import stat
import time

import pytest
from security_support import counter_with_webhook

from workbench.core.errors import PipelineInvalid
from workbench.engine.spec import parse_spec
from workbench.features.sharing.bundle import build_bundle
from workbench.jobs import runs as jobs

PASSWORD = "Cam3raS3cret"


def _pipeline(source: str, **webhook: object) -> dict:
    return counter_with_webhook(webhook, source=source)


@pytest.mark.parametrize(("source", "webhook", "code", "field"), [
    (f"rtsp://admin:{PASSWORD}@10.0.0.5/stream1", {}, "credential_in_url", "path"),
    ("clip.mp4", {"url": "https://alerts.city.gov/in", "headers": {"Authorization": f"Bearer {PASSWORD}"}},
     "credential_in_header", "headers.Authorization"),
    ("clip.mp4", {"url": f"https://bot:{PASSWORD}@alerts.city.gov/in"}, "credential_in_url", "url"),
])
def test_publishing_refuses_credentials(tmp_path, monkeypatch, source, webhook, code, field):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    with pytest.raises(PipelineInvalid) as err:
        build_bundle(parse_spec(_pipeline(source, **webhook)), tmp_path / "bundle", name="count", version="1.0.0",
                     district="east", description={"en": "x", "zh": "x"})
    assert [(p.code, p.field) for p in err.value.problems][:1] == [(code, field)]
    assert "headers_env" in err.value.problems[0].message("en") or "Cameras" in err.value.problems[0].message("en")
    assert not (tmp_path / "bundle").exists()  # nothing written, nothing uploaded


def test_a_header_read_from_the_environment_is_fine_to_publish(tmp_path, monkeypatch):
    from workbench.engine.credentials import credential_problems

    spec = parse_spec(_pipeline("clip.mp4", url="https://alerts.city.gov/in",
                                headers={"X-Source": "east"}, headers_env={"Authorization": "ALERT_TOKEN"}))
    assert credential_problems(spec) == []


@pytest.mark.slow  # starts a worker process
def test_a_run_keeps_the_camera_password_out_of_its_files_and_page(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    with socket.socket() as s:  # a camera address where nothing answers: the run fails at once, naming it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"rtsp://admin:{PASSWORD}@127.0.0.1:{port}/stream1"
    run_id = jobs.start_run(parse_spec(_pipeline("clip.mp4")), jobs.RunRequest(source=url))
    deadline = time.monotonic() + 120
    while not jobs.run_status(run_id).finished:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    status = jobs.run_status(run_id)
    assert status.state == "error" and status.problems
    folder = jobs.run_dir(run_id)
    for name in (jobs.REQUEST_FILE, jobs.PIPELINE_FILE):  # the worker needs the address: owner-only files
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    readable = [p for p in folder.rglob("*") if p.is_file() and stat.S_IMODE(p.stat().st_mode) & 0o044]
    leaks = [p.name for p in readable if PASSWORD.encode() in p.read_bytes()]
    assert leaks == []  # worker.log, problems.json, summary, progress ...
    assert (folder / jobs.LOG_FILE).stat().st_size > 0  # the log was written, through the redaction
    assert PASSWORD not in status.source and "admin:***@" in status.source
    assert PASSWORD not in json.dumps([p.params for p in status.problems])
    assert all(PASSWORD not in p.message(lang) for p in status.problems for lang in ("en", "zh"))


def test_a_saved_or_autosaved_pipeline_with_a_password_is_owner_only(tmp_path, monkeypatch):
    from workbench.apps.ui.autosave import autosave_path, keep
    from workbench.apps.ui.draft import Draft
    from workbench.apps.ui.library import save_pipeline

    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    spec = parse_spec(_pipeline(f"rtsp://admin:{PASSWORD}@10.0.0.5/stream1"))
    saved = save_pipeline(spec, "gate")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert keep(Draft(spec=spec, name="gate"))
    assert stat.S_IMODE(autosave_path().stat().st_mode) == 0o600
    plain = save_pipeline(parse_spec(_pipeline("clip.mp4")), "plain")
    assert stat.S_IMODE(plain.stat().st_mode) == 0o644
