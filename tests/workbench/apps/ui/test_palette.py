"""The palette lists every block once, in pipeline order, and the search finds blocks in Chinese and English."""

from __future__ import annotations

from workbench.apps.ui.palette import palette_groups
from workbench.core.registry import default_registry

CATALOG = default_registry().describe()


def test_every_block_appears_once_in_source_to_sink_order():
    groups = palette_groups(CATALOG, "en")
    listed = [b["type"] for _, blocks in groups for b in blocks]
    assert sorted(listed) == sorted(b["type"] for b in CATALOG)
    categories = [c for c, _ in groups]
    assert categories[:6] == ["sources", "detection", "filters", "tracking", "rules", "sinks"]


def test_search_in_either_language():
    zh_title = next(b for b in CATALOG if b["type"] == "rules/line_crossing@v1")["title"]["zh"]
    for query in ("line crossing", zh_title, "line_crossing"):
        found = [b["type"] for _, blocks in palette_groups(CATALOG, "zh", query) for b in blocks]
        assert "rules/line_crossing@v1" in found, query
        assert "sources/video_file@v1" not in found, query
    assert palette_groups(CATALOG, "en", "no such block anywhere") == []
