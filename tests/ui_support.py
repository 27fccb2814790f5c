"""What the canvas would send to the Build page, for AppTest tests (AppTest cannot see inside the component)."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

_seq = [0]


def canvas_reply(at: AppTest, **changes: Any) -> dict[str, Any]:
    """A reply drawn on the open draft: its current graph plus `changes` (docs/canvas-protocol.md)."""
    draft = at.session_state["draft"]
    _seq[0] += 1
    reply = {"seq": _seq[0], "draft": draft.id, "revision": draft.revision, "action": "move", "selected": None,
             "target": None, "refused": None, "added": None,
             "positions": {k: list(v) for k, v in draft.spec.layout.items()}, "nodes": [n.id for n in draft.spec.nodes],
             "edges": [{"source": e.source_node, "sourceHandle": e.source_port, "target": e.target_node,
                        "targetHandle": e.target_port} for e in draft.spec.edges]}
    return reply | changes


def add_block(at: AppTest, type_id: str, x: float | None = None, y: float | None = None) -> AppTest:
    """Drop (x, y given) or click a block of the canvas' palette; the page reruns."""
    at.session_state["canvas"] = canvas_reply(at, action="add", added={"type": type_id, "x": x, "y": y})
    return at.run()
