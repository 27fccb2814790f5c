"""The filter blocks are registered, describe every setting, and publish a JSON schema for forms."""

from __future__ import annotations

import pytest

from blocks.filters.box_size import BoxSizeFilter
from blocks.filters.by_class import ClassFilter
from blocks.filters.roi import RoiFilter
from workbench.core.kinds import Kind
from workbench.core.registry import default_registry


@pytest.mark.parametrize("block", [ClassFilter, BoxSizeFilter, RoiFilter])
def test_registered_described_and_schema(block):
    assert default_registry().get(block.type_id) is block
    fields = block.Config.model_fields
    assert all(f.description for f in fields.values()), [n for n, f in fields.items() if not f.description]
    assert set(block.Config.model_json_schema()["properties"]) == set(fields)
    assert [(p.name, p.kind) for p in block.inputs] == [("detections", Kind.DETECTIONS)]
    assert [(p.name, p.kind) for p in block.outputs] == [("detections", Kind.DETECTIONS)]
