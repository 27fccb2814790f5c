"""Templates open readable: no two blocks on top of each other, columns follow the flow from the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.apps.ui.layout import NODE_WIDTH, layered, overlaps
from workbench.core.registry import default_registry
from workbench.engine.spec import load_spec

REG = default_registry()
TEMPLATES = sorted((Path(__file__).resolve().parents[4] / "pipelines").glob("*.yaml"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_no_template_has_blocks_on_top_of_each_other(path):
    spec = load_spec(path)
    assert set(spec.layout) == {n.id for n in spec.nodes}
    assert overlaps(spec, REG) == []


def test_cards_placed_edge_to_edge_count_as_overlapping():
    spec = load_spec(TEMPLATES[0])
    crowded = spec.model_copy(update={"layout": {n.id: (i * NODE_WIDTH, 0.0) for i, n in enumerate(spec.nodes)}})
    assert len(overlaps(crowded, REG)) == len(spec.nodes) - 1


def test_the_layered_layout_flows_left_to_right_without_overlaps():
    spec = load_spec(TEMPLATES[0])
    positions = layered(spec, REG)
    tidy = spec.model_copy(update={"layout": positions})
    assert overlaps(tidy, REG) == []
    for edge in spec.edges:
        assert positions[edge.source_node][0] < positions[edge.target_node][0], edge
