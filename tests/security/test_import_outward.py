"""Issue 13: on import, what reaches outside (a webhook's address and headers, a stream URL) is the publisher's
choice. It is installed pending, the pipeline does not run until this site confirms it (Build page or `workbench
confirm`), and the confirmation records who and when."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from security_support import counter_with_webhook

from workbench.core.errors import PipelineInvalid
from workbench.core.registry import default_registry
from workbench.engine.runner import RunOptions, run_pipeline
from workbench.engine.spec import load_spec, parse_spec
from workbench.engine.validate import errors_only, validate
from workbench.features.sharing.bundle import build_bundle
from workbench.features.sharing.install import clear_site_pending, install


@pytest.fixture
def imported(tmp_path, monkeypatch, operator_policy) -> Path:
    """A street counter with a webhook, published by another district and imported here."""
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    operator_policy(webhook_hosts=["127.0.0.1"])
    data = counter_with_webhook({"url": "http://127.0.0.1:9/collect", "retries": 0})
    folder, manifest = build_bundle(parse_spec(data), tmp_path / "bundle", name="count", version="1.0.0",
                                    district="chaoyang", description={"en": "count", "zh": "计数"})
    return install(folder, manifest).pipeline


def test_an_imported_webhook_is_pending_and_the_pipeline_does_not_run(imported, tmp_path):
    spec = load_spec(imported)
    problems = errors_only(validate(spec, default_registry()))
    assert [(p.code, p.node, p.field) for p in problems] == [("outward_pending", "hook", "url")]
    assert "chaoyang/count@1.0.0" in problems[0].message("en")
    with pytest.raises(PipelineInvalid) as err:
        run_pipeline(spec, RunOptions(out_dir=tmp_path / "out", max_frames=5))
    assert err.value.problems[0].code == "outward_pending"
    assert not (tmp_path / "out" / "events.jsonl").exists()


def test_confirming_on_the_command_line_records_who_and_when(imported, tmp_path):
    cli = [sys.executable, "-m", "workbench.apps.cli", "confirm", str(imported)]
    wrong = subprocess.run([*cli, "count_line"], capture_output=True, text=True)
    assert wrong.returncode != 0 and "Traceback" not in wrong.stderr and "hook" in wrong.stderr
    done = subprocess.run([*cli, "hook"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "http://127.0.0.1:9/collect" in done.stdout  # what was confirmed is printed
    spec = load_spec(imported)
    assert errors_only(validate(spec, default_registry())) == []
    [record] = spec.meta.model_extra["outward_confirmed"]
    assert record["node"] == "hook" and record["settings"] == ["url"] and record["by"] and record["at"]


def test_site_settings_and_outward_settings_are_confirmed_separately(imported):
    spec = load_spec(imported)
    redrawn = clear_site_pending(spec, "count_line")
    assert [p.code for p in errors_only(validate(redrawn, default_registry()))] == ["outward_pending"]
