"""Blocks register through entry points: a separately packaged plugin shows up with no change to the core."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.core.registry import BlockRegistry, default_registry

PLUGIN = Path(__file__).parents[2] / "plugin_example"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    """The example plugin pip-installed into its own folder (not into the project's venv)."""
    target = tmp_path_factory.mktemp("plugin-site")
    build = tmp_path_factory.mktemp("plugin-src")
    subprocess.run(["cp", "-r", str(PLUGIN) + "/.", str(build)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(build)], check=True)
    return target


def workbench(*args: str, site: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "WORKBENCH_LANG": "en"}
    if site:
        env["PYTHONPATH"] = str(site)
    return subprocess.run([sys.executable, "-m", "workbench.apps.cli", *args], capture_output=True, text=True, env=env)


def test_plugin_appears_in_blocks_listing(plugin_site):
    out = workbench("blocks", "--json", site=plugin_site)
    assert out.returncode == 0, out.stderr
    blocks = {b["type"]: b for b in json.loads(out.stdout)["blocks"]}
    tamper = blocks["plugins/camera_tamper@v1"]
    assert tamper["category"] == "plugins"
    assert tamper["title"] == {"en": "Camera tamper", "zh": "摄像头遮挡"}
    assert tamper["inputs"] == [{"name": "image", "kind": "image", "required": True, "many": False, "description": ""}]
    assert set(tamper["config_schema"]["properties"]) == {"min_brightness", "max_brightness", "min_seconds"}
    assert "sources/video_file@v1" in blocks  # the core blocks register the same way


def test_plugin_is_absent_without_its_package():
    out = workbench("blocks", "--json")
    assert "plugins/camera_tamper@v1" not in {b["type"] for b in json.loads(out.stdout)["blocks"]}


def test_pipeline_using_the_plugin_validates(plugin_site, tmp_path):
    spec = {
        "version": 1, "meta": {"name": "tamper"},
        "nodes": [{"id": "src", "type": "sources/video_file@v1", "config": {"path": "cam.mp4"}},
                  {"id": "tamper", "type": "plugins/camera_tamper@v1", "config": {"min_seconds": 1}},
                  {"id": "out", "type": "sinks/events_file@v1", "config": {}}],
        "edges": [{"from": "src.frames", "to": "tamper.image"}, {"from": "tamper.events", "to": "out.events"}],
    }
    path = tmp_path / "tamper.json"
    path.write_text(json.dumps(spec))
    assert workbench("validate", str(path), site=plugin_site).returncode == 0
    missing = workbench("validate", str(path))
    assert missing.returncode == 1
    assert "plugins/camera_tamper@v1" in missing.stderr and "Traceback" not in missing.stderr


def test_every_installed_block_is_described_for_the_ui():
    reg = default_registry()
    assert reg.broken == {}
    for desc in reg.describe():
        assert desc["type"].count("/") == 1 and "@v" in desc["type"]
        assert desc["title"]["en"] and desc["title"]["zh"], desc["type"]
        assert desc["description"]["en"] and desc["description"]["zh"], desc["type"]
        assert desc["title"]["en"] != desc["title"]["zh"], f"{desc['type']} has no Chinese title"
        for name, prop in desc["config_schema"].get("properties", {}).items():
            assert prop.get("description"), f"{desc['type']} setting {name} has no description"


def test_broken_plugin_is_reported_not_fatal():
    reg = BlockRegistry()
    reg.add(object, origin="bad = x:y")
    assert "bad = x:y" in reg.broken and reg.blocks == {}
