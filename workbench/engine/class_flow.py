"""Which class names can reach each node of a pipeline: followed from the detectors along detections and tracks.

A detector says what it can output (`Block.output_classes`: the motion detector its one `class_name`, HOG "person",
YOLO its model's classes), filters narrow it, trackers pass it on. The Build page offers only the classes that can
arrive at a node, and validation warns about a rule (or class filter) set to a class that can never arrive there: it
would silently raise nothing.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from workbench.core.class_names import class_key, class_keys
from workbench.core.errors import Problem
from workbench.core.kinds import Kind
from workbench.core.registry import BlockRegistry
from workbench.engine.spec import PipelineSpec

CARRIES_CLASSES = frozenset({Kind.DETECTIONS, Kind.TRACKS})
# settings naming classes to wait for ("exclude" naming a class that never comes is harmless); names compare as
# everywhere else, through workbench.core.class_names (case and surrounding spaces ignored)
CHECKED_FIELDS = ("classes", "include")
Classes = frozenset[str] | None  # None: not known here


def reaching_classes(spec: PipelineSpec, registry: BlockRegistry) -> dict[str, Classes]:
    """node id -> the class names that can arrive on its detections/tracks inputs (None = unknown). Nodes with no
    such input connected are left out."""
    memo: dict[str, Classes] = {}
    reaching: dict[str, Classes] = {}

    def incoming(node_id: str, visiting: frozenset[str]) -> tuple[bool, Classes]:
        found, union = False, frozenset()
        for edge in spec.edges:
            if edge.target_node != node_id:
                continue
            source = spec.node(edge.source_node)
            block = registry.get(source.type) if source else None
            port = block.output(edge.source_port) if block else None
            if port is None or port.kind not in CARRIES_CLASSES:
                continue
            found = True
            classes = produced(edge.source_node, visiting)
            union = None if classes is None or union is None else union | classes
        return found, union

    def produced(node_id: str, visiting: frozenset[str] = frozenset()) -> Classes:
        if node_id in memo:
            return memo[node_id]
        if node_id in visiting:  # a cycle is reported by validation; nothing is known along it
            return None
        node, result = spec.node(node_id), None
        block = registry.get(node.type) if node else None
        if block is not None:
            found, upstream = incoming(node_id, visiting | {node_id})
            if found:
                reaching[node_id] = upstream
            result = _output(block, node.config, upstream)
        memo[node_id] = result
        return result

    for node in spec.nodes:
        produced(node.id)
    return reaching


def _output(block: Any, config: dict[str, Any], upstream: Classes) -> Classes:
    try:
        config_object = block.Config.model_validate(config)
    except (ValidationError, ValueError, TypeError):  # a bad setting is reported by validation itself
        return None
    try:
        return block.output_classes(config_object, upstream)
    except Exception:  # a plugin's own answer failing must not break validation: unknown, so nothing is warned about
        return None


def class_problems(spec: PipelineSpec, registry: BlockRegistry) -> list[Problem]:
    """Warnings for class settings naming classes that can never arrive at their node."""
    problems = []
    for node_id, arriving in reaching_classes(spec, registry).items():
        node = spec.node(node_id)
        if arriving is None or node is None:
            continue
        known = class_keys(arriving)
        for field in CHECKED_FIELDS:
            wanted = node.config.get(field) or ()
            if not isinstance(wanted, (list, tuple)):
                continue
            strangers = [str(c) for c in wanted if class_key(c) not in known]
            if strangers:
                problems.append(Problem("class_never_arrives", node=node_id, field=field, severity="warning",
                                        params={"classes": ", ".join(strangers),
                                                "available": ", ".join(sorted(arriving)) or "-"}))
    return problems
