"""Editing a pipeline the way the canvas does it, on the spec itself: no Streamlit, no widget, fully testable.

Every operation takes a PipelineSpec and returns a new one; a refused edit raises `EditRefused` with a Problem that
names both ends, so the canvas (or any other front end) can say why at once.
"""

from __future__ import annotations

import re

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.kinds import Kind
from workbench.core.registry import BlockRegistry
from workbench.engine.spec import EdgeSpec, Meta, NodeSpec, PipelineSpec
from workbench.engine.validate import wiring_problems

COLUMN, ROW, GRID_COLUMNS = 270.0, 190.0, 4  # where new blocks land: a grid of cells this big, this many wide


class EditRefused(WorkbenchError):
    """An edit the pipeline cannot take (wrong kinds, input already fed, unknown port)."""


DEFAULT_PIPELINE_NAME = "new-pipeline"


def new_pipeline(name: str = DEFAULT_PIPELINE_NAME) -> PipelineSpec:
    return PipelineSpec(meta=Meta(name=name))


def free_node_id(spec: PipelineSpec, base: str) -> str:
    """`base`, or `base_2`, `base_3`... whichever no node of the spec uses."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "_", base).strip("_-") or "node"
    if not base[0].isalpha():
        base = f"n_{base}"
    taken = {n.id for n in spec.nodes}
    node_id, n = base, 2
    while node_id in taken:
        node_id, n = f"{base}_{n}", n + 1
    return node_id


def _free_position(spec: PipelineSpec) -> tuple[float, float]:
    """The first free cell of a 4-wide grid (reading order), so a new block never lands on top of another and a
    pipeline stays compact enough to read when the canvas fits it into view."""
    taken = list(spec.layout.values())
    for cell in range(len(taken) + 1):
        x, y = 40.0 + COLUMN * (cell % GRID_COLUMNS), 80.0 + ROW * (cell // GRID_COLUMNS)
        if all(abs(x - tx) > COLUMN / 2 or abs(y - ty) > ROW / 2 for tx, ty in taken):
            return (x, y)
    return (40.0, 80.0 + ROW * (len(taken) // GRID_COLUMNS + 1))


def add_node(spec: PipelineSpec, type_id: str, position: tuple[float, float] | None = None,
             config: dict | None = None, name: str | None = None) -> tuple[PipelineSpec, str]:
    """A new node of block `type_id` (default settings unless `config`); returns the spec and the new node's id."""
    node_id = free_node_id(spec, name or type_id.split("@", 1)[0].rsplit("/", 1)[-1])
    node = NodeSpec(id=node_id, type=type_id, config=dict(config or {}))
    layout = {**spec.layout, node_id: position or _free_position(spec)}
    return spec.model_copy(update={"nodes": [*spec.nodes, node], "layout": layout}), node_id


def delete_node(spec: PipelineSpec, node_id: str) -> PipelineSpec:
    """Remove the node, every edge touching it, and its position."""
    return spec.model_copy(update={
        "nodes": [n for n in spec.nodes if n.id != node_id],
        "edges": [e for e in spec.edges if node_id not in (e.source_node, e.target_node)],
        "layout": {k: v for k, v in spec.layout.items() if k != node_id},
    })


def duplicate_node(spec: PipelineSpec, node_id: str) -> tuple[PipelineSpec, str]:
    """A copy of the node's block and settings (not its connections), placed just below it."""
    node = spec.node(node_id)
    if node is None:
        raise EditRefused([Problem("edit_unknown_node", node=node_id)])
    x, y = spec.layout.get(node_id, _free_position(spec))
    base = re.sub(r"_\d+$", "", node_id)
    return add_node(spec, node.type, (x + 30.0, y + 140.0), config=dict(node.config), name=base)


def move_nodes(spec: PipelineSpec, positions: dict[str, tuple[float, float]]) -> PipelineSpec:
    """New canvas positions for known nodes; unknown ids are ignored."""
    known = {n.id for n in spec.nodes}
    moved = {k: (round(float(x), 1), round(float(y), 1)) for k, (x, y) in positions.items() if k in known}
    return spec.model_copy(update={"layout": {**spec.layout, **moved}})


def set_config(spec: PipelineSpec, node_id: str, config: dict) -> PipelineSpec:
    """Replace a node's settings (checked later by validation, which names the field)."""
    nodes = [n.model_copy(update={"config": dict(config)}) if n.id == node_id else n for n in spec.nodes]
    return spec.model_copy(update={"nodes": nodes})


def rename_node(spec: PipelineSpec, old: str, new: str) -> PipelineSpec:
    """Give a node a new id, keeping its edges and position."""
    if new == old:
        return spec
    if spec.node(new) is not None or not re.match(r"^[A-Za-z_][A-Za-z0-9_-]*$", new):
        raise EditRefused([Problem("edit_bad_node_id", node=old, field="id", params={"id": new})])

    def end(ref: str) -> str:
        node, _, port = ref.partition(".")
        return f"{new}.{port}" if node == old else ref

    nodes = [n.model_copy(update={"id": new}) if n.id == old else n for n in spec.nodes]
    edges = [EdgeSpec.model_validate({"from": end(e.source), "to": end(e.target)}) for e in spec.edges]
    layout = {(new if k == old else k): v for k, v in spec.layout.items()}
    return spec.model_copy(update={"nodes": nodes, "edges": edges, "layout": layout})


def connect(spec: PipelineSpec, source: str, target: str, registry: BlockRegistry) -> PipelineSpec:
    """Add the edge `source -> target` (both `node.port`), refusing what validation would reject anyway."""
    out_port, in_port = _port(spec, source, "outputs", registry), _port(spec, target, "inputs", registry)
    node = target.partition(".")[0]
    if source.partition(".")[0] == node:  # what validation reports as a cycle
        raise EditRefused([Problem("cycle", node=node, field="edges", params={"cycle": f"{node} -> {node}"})])
    if any(e.source == source and e.target == target for e in spec.edges):
        return spec
    problems = wiring_problems(source, target, out_port, in_port, sum(e.target == target for e in spec.edges))
    if problems:
        raise EditRefused(problems)
    return spec.model_copy(update={"edges": [*spec.edges, EdgeSpec.model_validate({"from": source, "to": target})]})


def disconnect(spec: PipelineSpec, source: str, target: str) -> PipelineSpec:
    return spec.model_copy(update={"edges": [e for e in spec.edges if (e.source, e.target) != (source, target)]})


def _port(spec: PipelineSpec, ref: str, side: str, registry: BlockRegistry):
    node_id, _, port_name = ref.partition(".")
    node = spec.node(node_id)
    block = registry.get(node.type) if node else None
    port = next((p for p in getattr(block, side, ()) if p.name == port_name), None)
    if port is None:
        raise EditRefused([Problem("edit_unknown_port", node=node_id, field=ref, params={"port": ref})])
    return port


def kind_of(spec: PipelineSpec, ref: str, side: str, registry: BlockRegistry) -> Kind | None:
    """The kind of port `node.port` on `side` ("inputs"/"outputs"), None when it does not exist."""
    try:
        return _port(spec, ref, side, registry).kind
    except EditRefused:
        return None
