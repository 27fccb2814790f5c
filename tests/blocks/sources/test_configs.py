"""A source's location comes first in its form and is its only required setting (the rest of the contract:
tests/blocks/test_block_contract.py)."""

from __future__ import annotations

import pytest

from blocks.sources.image_folder import ImageFolder
from blocks.sources.video_file import VideoFile


@pytest.mark.parametrize("block", [VideoFile, ImageFolder])
def test_location_first_and_only_required(block):
    assert next(iter(block.Config.model_fields)) == "path"  # the location comes first in forms
    assert block.Config.model_json_schema()["required"] == ["path"]
    assert block.outputs[0].name == "frames" and not block.inputs
