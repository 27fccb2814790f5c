"""The bridge between a PipelineSpec and the canvas widget: the view it draws and the edits its replies make.

The protocol is documented in docs/canvas-protocol.md. Nothing here knows React or Streamlit, so the widget can be
swapped; everything here is tested with plain dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.apps.ui import editor
from workbench.core.errors import Problem
from workbench.core.i18n import t
from workbench.core.kinds import Kind, fit_table
from workbench.core.registry import BlockRegistry
from workbench.engine.spec import PipelineSpec

KIND_COLORS = {Kind.IMAGE: "#4c78a8", Kind.DETECTIONS: "#f58518", Kind.TRACKS: "#54a24b", Kind.EVENTS: "#e45756"}
CANVAS_TEXT_KEYS = ("refused", "taken", "missing", "delete", "duplicate", "empty", "problems", "palette", "search",
                    "palette_hint")


def kind_label(kind: str, lang: str) -> str:
    return t(f"kind.{kind}", lang)


def canvas_view(spec: PipelineSpec, registry: BlockRegistry, lang: str, problems: list[Problem], revision: int,
                selected: str | None, height: int = 560, draft: str = "",
                palette: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Everything the canvas draws: nodes with typed ports, edges, kind colours and rules, translated texts, and
    the palette of blocks to drag onto it (`workbench.apps.ui.palette.palette_view`)."""
    fed = {e.target for e in spec.edges}
    per_node: dict[str, int] = {}
    for p in problems:
        if p.node and p.severity == "error":
            per_node[p.node] = per_node.get(p.node, 0) + 1
    nodes = []
    for i, node in enumerate(spec.nodes):
        block = registry.get(node.type)
        x, y = spec.layout.get(node.id, (40.0 + 260.0 * i, 80.0))
        inputs = [{"name": p.name, "kind": p.kind.value, "required": p.required, "many": p.many,
                   "missing": p.required and f"{node.id}.{p.name}" not in fed} for p in getattr(block, "inputs", ())]
        outputs = [{"name": p.name, "kind": p.kind.value} for p in getattr(block, "outputs", ())]
        nodes.append({"id": node.id, "type": node.type, "title": block.title(lang) if block else node.type,
                      "category": node.type.split("/", 1)[0], "x": float(x), "y": float(y),
                      "inputs": inputs, "outputs": outputs, "problems": per_node.get(node.id, 0),
                      "is_source": bool(block and not block.inputs)})
    edges = [{"id": f"{e.source}->{e.target}", "source": e.source_node, "sourceHandle": e.source_port,
              "target": e.target_node, "targetHandle": e.target_port} for e in spec.edges]
    return {
        "draft": draft, "revision": revision, "nodes": nodes, "edges": edges, "selected": selected, "height": height,
        "kinds": {k.value: {"color": KIND_COLORS[k], "label": kind_label(k.value, lang)} for k in Kind},
        "fits": fit_table(),
        "text": {key: t(f"app.canvas.{key}", lang) for key in CANVAS_TEXT_KEYS},
        "palette": palette or [],
    }


@dataclass
class CanvasEdit:
    """What one canvas reply did to the spec."""

    spec: PipelineSpec
    selected: str | None
    changed: bool = False  # the graph itself changed (not only positions or selection)
    refused: list[Problem] = field(default_factory=list)
    rerender: bool = False  # the canvas must be given a new revision (Python made or undid a change)


def _ref(node: str, port: str) -> str:
    return f"{node}.{port}"


def apply_canvas_reply(spec: PipelineSpec, reply: dict[str, Any], registry: BlockRegistry) -> CanvasEdit:
    """Bring the spec in line with what the canvas shows; refuse (and undo on the canvas) edges that do not fit."""
    edit = CanvasEdit(spec=spec, selected=reply.get("selected"))
    on_canvas = reply.get("nodes")
    if on_canvas is not None:
        for node in [n.id for n in spec.nodes if n.id not in set(on_canvas)]:
            edit.spec, edit.changed = editor.delete_node(edit.spec, node), True
    edit.spec = editor.move_nodes(edit.spec, {k: tuple(v) for k, v in (reply.get("positions") or {}).items()})

    if reply.get("edges") is not None:
        wanted = {(_ref(e["source"], e["sourceHandle"]), _ref(e["target"], e["targetHandle"])) for e in reply["edges"]}
        current = {(e.source, e.target) for e in edit.spec.edges}
        for source, target in sorted(current - wanted):
            edit.spec, edit.changed = editor.disconnect(edit.spec, source, target), True
        for source, target in sorted(wanted - current):
            try:
                edit.spec, edit.changed = editor.connect(edit.spec, source, target, registry), True
            except editor.EditRefused as exc:
                edit.refused += exc.problems
                edit.rerender = True

    added = reply.get("added") or {}
    if reply.get("action") == "add" and registry.get(str(added.get("type", ""))) is not None:
        at = (float(added["x"]), float(added["y"])) if added.get("x") is not None else None
        edit.spec, edit.selected = editor.add_node(edit.spec, str(added["type"]), at)
        edit.changed = edit.rerender = True
    refused = reply.get("refused")
    if reply.get("action") == "refused" and refused:
        edit.refused.append(_refusal_problem(refused))
    if reply.get("action") == "duplicate" and reply.get("target") and edit.spec.node(reply["target"]):
        edit.spec, edit.selected = editor.duplicate_node(edit.spec, reply["target"])
        edit.changed = edit.rerender = True
    if edit.selected and edit.spec.node(edit.selected) is None:
        edit.selected = None
    return edit


def _refusal_problem(refused: dict[str, Any]) -> Problem:
    """The Problem for a connection the browser refused by itself: the same code, field and text as validation."""
    source, target = str(refused.get("source", "")), str(refused.get("target", ""))
    node, _, port = target.partition(".")
    if refused.get("reason") == "loop":
        return Problem("cycle", node=node or None, field="edges", params={"cycle": f"{node} -> {node}"})
    field = f"inputs.{port}"
    if refused.get("reason") == "taken":
        return Problem("input_fed_twice", node=node or None, field=field, params={"edge": f"{source} -> {target}"})
    return Problem("edge_kind", node=node or None, field=field, params={
        "edge": f"{source} -> {target}", "out_kind": refused.get("source_kind", "?"),
        "in_kind": refused.get("target_kind", "?")})
