"""Compile a pipeline spec into runnable form: validate -> toposort (graphlib) -> instantiate -> load.

The graph definition (spec) and the runners stay apart: a `CompiledPipeline` is shared, each stream gets a `Stream`
holding that stream's block states, so one compiled pipeline can serve many cameras.
"""

from __future__ import annotations

import graphlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from workbench.core.block import Block, SourceBlock, StreamContext
from workbench.core.errors import BlockError, PipelineInvalid, WorkbenchError
from workbench.core.frames import Frame
from workbench.core.kinds import Kind
from workbench.core.registry import BlockRegistry, default_registry
from workbench.engine.spec import PipelineSpec
from workbench.engine.validate import errors_only, validate


@dataclass(frozen=True)
class CompiledNode:
    id: str
    block: Block
    # input port -> the (node, port) outputs feeding it, in edge order
    wiring: Mapping[str, tuple[tuple[str, str], ...]]
    many_inputs: frozenset[str] = frozenset()  # inputs whose feeds are concatenated (looked up once, not per frame)
    event_outputs: frozenset[str] = frozenset()  # outputs of kind events, counted in the summary


@dataclass(frozen=True)
class CompiledPipeline:
    spec: PipelineSpec
    source: CompiledNode
    nodes: tuple[CompiledNode, ...]  # every node but the source, in topological order

    def load(self) -> None:
        """Load what every block shares (model weights), source first; a compile with load=False leaves this."""
        for node in (self.source, *self.nodes):
            node.block.load()

    def open_stream(self, ctx: StreamContext) -> Stream:
        """Fresh per-stream state for every block (sinks open their files here)."""
        overlays = tuple(o for n in self.nodes for o in n.block.overlays())
        ctx = replace(ctx, overlays=overlays)
        stream = Stream(self, ctx)
        stream.reset()
        return stream


@dataclass
class Stream:
    """One playing source through a compiled pipeline: block states, timings, and the events raised so far."""

    pipeline: CompiledPipeline
    ctx: StreamContext
    states: dict[str, Any] = field(default_factory=dict)
    total_ms: dict[str, float] = field(default_factory=dict)
    calls: int = 0
    event_counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def reset(self) -> None:
        """Forget everything this stream has seen (new states), e.g. after the camera was moved."""
        self.states = {}
        for node in self.pipeline.nodes:
            try:
                self.states[node.id] = node.block.start(self.ctx)
            except BaseException:
                self.finish()  # close what the blocks started before this one opened
                raise
        self.total_ms = {node.id: 0.0 for node in self.pipeline.nodes}
        self.calls = 0
        self.event_counts = {}

    def push(self, frame: Frame) -> dict[tuple[str, str], Any]:
        """Run one frame through every block in order; return every output by (node, port)."""
        values: dict[tuple[str, str], Any] = {(self.pipeline.source.id, "frames"): frame}
        for node in self.pipeline.nodes:
            inputs = {}
            for port, feeds in node.wiring.items():
                got = [values[f] for f in feeds if f in values]
                if port in node.many_inputs:
                    inputs[port] = tuple(ev for batch in got for ev in batch)
                elif got:
                    inputs[port] = got[0]
            start = time.perf_counter()
            try:
                outputs = node.block.process(self.states[node.id], frame, inputs)
            except WorkbenchError:
                raise
            except Exception as exc:  # a bug in the block, not the user's doing: name the node, keep the cause
                raise BlockError("block_crashed", node.id, detail=f"{type(exc).__name__}: {exc}") from exc
            self.total_ms[node.id] += (time.perf_counter() - start) * 1000.0
            for port, value in outputs.items():
                values[(node.id, port)] = value
                if port in node.event_outputs:
                    self._count(node.id, value)
        self.calls += 1
        return values

    def _count(self, node_id: str, events: tuple) -> None:
        for ev in events:
            if ev.node == node_id:  # counted where it was raised, not where it passed through
                by_type = self.event_counts.setdefault(node_id, {})
                by_type[ev.type] = by_type.get(ev.type, 0) + 1

    def finish(self) -> tuple[dict[str, Any], list[BlockError]]:
        """Close every block, even when one fails, so nothing already produced is lost."""
        facts, errors = {}, []
        for node in self.pipeline.nodes:
            if node.id not in self.states:
                continue
            try:
                info = node.block.finish(self.states[node.id])
            except BlockError as exc:
                errors.append(exc)
                continue
            except Exception as exc:  # one block failing to close must not keep the others from closing
                errors.append(BlockError("block_crashed", node.id, detail=f"{type(exc).__name__}: {exc}"))
                continue
            if info:
                facts[node.id] = info
        return facts, errors

    def mean_ms(self) -> dict[str, float]:
        return {nid: round(ms / self.calls, 3) if self.calls else 0.0 for nid, ms in self.total_ms.items()}


def compile_pipeline(spec: PipelineSpec, registry: BlockRegistry | None = None, load: bool = True) -> CompiledPipeline:
    """Validate, order and instantiate; `load=True` also loads model weights (may raise BlockError)."""
    registry = registry or default_registry()
    problems = errors_only(validate(spec, registry))
    if problems:
        raise PipelineInvalid(problems)
    graph = {n.id: set() for n in spec.nodes}
    wiring: dict[str, dict[str, list[tuple[str, str]]]] = {n.id: {} for n in spec.nodes}
    for edge in spec.edges:
        graph[edge.target_node].add(edge.source_node)
        wiring[edge.target_node].setdefault(edge.target_port, []).append((edge.source_node, edge.source_port))
    order = graphlib.TopologicalSorter(graph).static_order()
    by_id = {n.id: n for n in spec.nodes}
    compiled = []
    for node_id in order:
        node = by_id[node_id]
        cls = registry.get(node.type)
        block = cls(cls.Config.model_validate(node.config), node_id=node_id)
        compiled.append(CompiledNode(
            node_id, block, {p: tuple(f) for p, f in wiring[node_id].items()},
            many_inputs=frozenset(p.name for p in cls.inputs if p.many),
            event_outputs=frozenset(p.name for p in cls.outputs if p.kind is Kind.EVENTS)))
    source = next(n for n in compiled if isinstance(n.block, SourceBlock))
    pipeline = CompiledPipeline(spec=spec, source=source, nodes=tuple(n for n in compiled if n is not source))
    if load:
        pipeline.load()
    return pipeline
