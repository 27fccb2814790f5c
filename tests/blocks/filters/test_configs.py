"""Filters take and give detections (the rest of their contract: tests/blocks/test_block_contract.py)."""

from __future__ import annotations

import pytest

from blocks.filters.box_size import BoxSizeFilter
from blocks.filters.by_class import ClassFilter
from blocks.filters.roi import RoiFilter
from workbench.core.kinds import Kind


@pytest.mark.parametrize("block", [ClassFilter, BoxSizeFilter, RoiFilter])
def test_detections_in_detections_out(block):
    assert [(p.name, p.kind) for p in block.inputs] == [("detections", Kind.DETECTIONS)]
    assert [(p.name, p.kind) for p in block.outputs] == [("detections", Kind.DETECTIONS)]
