"""The app listens on 127.0.0.1 unless the operator passes another address, and takes uploads no larger than a
video clip needs; a pipeline upload is held to the pipeline cap before it is even decoded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib

from workbench.core.errors import PipelineInvalid
from workbench.engine.spec import MAX_PIPELINE_BYTES, spec_from_upload

ROOT = Path(__file__).parents[2]


def streamlit_config() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_app_listens_on_this_machine_only_by_default():
    assert streamlit_config()["server"]["address"] == "127.0.0.1"


def test_every_launcher_that_serves_other_interfaces_says_so():
    """The pin must not silently cut off the container or `make run HOST=...`: they pass --server.address."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    run = makefile[makefile.index("\nrun:"):]
    assert "--server.address $(HOST)" in run.split("\n\n")[0]
    assert re.search(r"--server\.address[= ]0\.0\.0\.0", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    assert re.search(r"--server\.address[= ]0\.0\.0\.0", (ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
    assert "--server.address" in (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")


def test_uploads_are_capped_below_streamlits_default():
    limit = streamlit_config()["server"]["maxUploadSize"]
    assert isinstance(limit, int) and 50 <= limit < 200  # MB: a few minutes of 1080p clip, not 200


def test_a_pipeline_upload_over_the_cap_is_refused_before_decoding():
    data = b"version: 1\nmeta: {name: big}\nnodes: []\n# " + b"\xff" * MAX_PIPELINE_BYTES
    with pytest.raises(PipelineInvalid) as err:
        spec_from_upload(data, "shared.yaml")
    problem = err.value.problems[0]
    assert problem.code == "yaml_too_big"
    assert problem.params == {"path": "shared.yaml", "size": len(data), "limit": MAX_PIPELINE_BYTES}
    assert spec_from_upload(b"version: 1\nmeta: {name: ok}\nnodes: []\n", "ok.yaml").meta.name == "ok"
