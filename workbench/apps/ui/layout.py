"""Where blocks sit on the canvas: a readable layered layout, and a check that no two blocks overlap.

Blocks are placed left to right by how far they are from the source (the longest path to them), each column in the
order that keeps edges from crossing where it can (the mean row of what feeds them). Sizes follow the canvas' node
card (frontend/canvas/src/canvas.css: 220 px wide, a row per port).
"""

from __future__ import annotations

from workbench.core.registry import BlockRegistry
from workbench.engine.spec import PipelineSpec

NODE_WIDTH, HEAD_HEIGHT, PORT_HEIGHT = 220.0, 48.0, 22.0
COLUMN_GAP, ROW_GAP, MARGIN = 50.0, 36.0, 40.0
MIN_GAP = 20.0  # cards closer than this look stuck together (and their handles overlap)


def node_size(spec: PipelineSpec, node_id: str, registry: BlockRegistry) -> tuple[float, float]:
    node = spec.node(node_id)
    block = registry.get(node.type) if node else None
    ports = len(getattr(block, "inputs", ())) + len(getattr(block, "outputs", ())) if block else 1
    return NODE_WIDTH, HEAD_HEIGHT + PORT_HEIGHT * ports


def overlaps(spec: PipelineSpec, registry: BlockRegistry) -> list[tuple[str, str]]:
    """Pairs of blocks whose cards overlap, or are closer than MIN_GAP, at their saved positions."""
    boxes, pad = {}, MIN_GAP / 2
    for node in spec.nodes:
        if node.id in spec.layout:
            (x, y), (w, h) = spec.layout[node.id], node_size(spec, node.id, registry)
            boxes[node.id] = (x - pad, y - pad, x + w + pad, y + h + pad)
    ids = list(boxes)
    return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]
            if boxes[a][0] < boxes[b][2] and boxes[b][0] < boxes[a][2]
            and boxes[a][1] < boxes[b][3] and boxes[b][1] < boxes[a][3]]


def layered(spec: PipelineSpec, registry: BlockRegistry) -> dict[str, tuple[float, float]]:
    """A position for every block: columns by distance from the source, no overlaps."""
    feeders: dict[str, list[str]] = {n.id: [] for n in spec.nodes}
    for edge in spec.edges:
        if edge.target_node in feeders and edge.source_node in feeders:
            feeders[edge.target_node].append(edge.source_node)
    depth: dict[str, int] = {}

    def depth_of(node_id: str, seen: frozenset[str] = frozenset()) -> int:
        if node_id not in depth:
            before = [depth_of(f, seen | {node_id}) for f in feeders[node_id] if f not in seen]
            depth[node_id] = 1 + max(before) if before else 0
        return depth[node_id]

    for node in spec.nodes:
        depth_of(node.id)
    positions: dict[str, tuple[float, float]] = {}
    for column in range(max(depth.values(), default=-1) + 1):
        members = [n.id for n in spec.nodes if depth[n.id] == column]
        members.sort(key=lambda m: _mean_row(feeders[m], positions))
        y = MARGIN
        for member in members:
            positions[member] = (MARGIN + column * (NODE_WIDTH + COLUMN_GAP), y)
            y += node_size(spec, member, registry)[1] + ROW_GAP
    return positions


def _mean_row(feeders: list[str], positions: dict[str, tuple[float, float]]) -> float:
    rows = [positions[f][1] for f in feeders if f in positions]
    return sum(rows) / len(rows) if rows else 0.0
