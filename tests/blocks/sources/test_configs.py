"""The source blocks are registered, describe every setting, and publish a JSON schema for forms."""

from __future__ import annotations

import pytest

from blocks.sources.image_folder import ImageFolder
from blocks.sources.video_file import VideoFile
from workbench.core.registry import default_registry


@pytest.mark.parametrize("block", [VideoFile, ImageFolder])
def test_registered_described_and_schema(block):
    assert default_registry().get(block.type_id) is block
    fields = block.Config.model_fields
    assert list(fields)[0] == "path"  # the location comes first in forms
    assert all(f.description for f in fields.values()), [n for n, f in fields.items() if not f.description]
    schema = block.Config.model_json_schema()
    assert set(schema["properties"]) == set(fields)
    assert schema["required"] == ["path"]
    assert block.outputs[0].name == "frames" and not block.inputs
