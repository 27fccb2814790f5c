"""Check a pipeline against the block catalog and report every problem at once, each naming node and field."""

from __future__ import annotations

import graphlib
from collections import defaultdict
from pathlib import Path

from pydantic import ValidationError

from workbench.core.block import SourceBlock
from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import has
from workbench.core.kinds import Port, fits
from workbench.core.registry import BlockRegistry
from workbench.engine.class_flow import class_problems
from workbench.engine.spec import PipelineSpec, count_problems


def validate(spec: PipelineSpec, registry: BlockRegistry) -> list[Problem]:
    """All problems of the pipeline: nodes, settings, edges, required inputs, cycles, sources, reachability."""
    problems: list[Problem] = count_problems(spec.nodes, spec.edges)
    classes = {}
    seen: set[str] = set()
    for node in spec.nodes:
        if node.id in seen:
            problems.append(Problem("duplicate_node", node=node.id, field="id"))
            continue
        seen.add(node.id)
        block = registry.get(node.type)
        if block is None:
            suggestions = ", ".join(registry.suggest(node.type)) or "-"
            problems.append(Problem("unknown_block", node=node.id, field="type",
                                    params={"type": node.type, "suggestions": suggestions}))
            continue
        classes[node.id] = block
        problems += config_problems(node.id, block, node.config)

    problems += _edge_problems(spec, classes)
    problems += _graph_problems(spec, classes)
    problems += class_problems(spec, registry)
    problems += _source_file_problems(spec, classes)
    problems += _write_path_problems(spec, classes)
    problems += [Problem("layout_unknown_node", node=node_id, field="layout", severity="warning")
                 for node_id in spec.layout if node_id not in seen]
    return problems + site_pending_problems(spec)


def site_pending_problems(spec: PipelineSpec) -> list[Problem]:
    """Warnings for site settings an imported algorithm still has from the publisher's camera (meta.site_pending),
    errors for the settings reaching outside that this site has not confirmed yet (meta.outward_pending)."""
    extra = spec.meta.model_extra or {}
    pending = extra.get("site_pending") or {}
    if not isinstance(pending, dict):
        return []
    origin = str(extra.get("origin", ""))
    problems = [Problem("site_pending", node=str(node), field=str(field), severity="warning",
                        params={"origin": origin}) for node, fields in pending.items() for field in (fields or ())]
    outward = extra.get("outward_pending") or {}
    if isinstance(outward, dict):  # an address or header the publisher chose: never used before this site confirms
        problems += [Problem("outward_pending", node=str(node), field=str(field), params={"origin": origin})
                     for node, fields in outward.items() for field in (fields or ())]
    return problems


def config_problems(node_id: str, block: type, config: dict) -> list[Problem]:
    """The block's pydantic errors, one Problem per field, in the user's language where the error kind is known."""
    try:
        block.Config.model_validate(config)
    except ValidationError as exc:
        return [_config_problem(node_id, err, block) for err in exc.errors()]
    return []


def _config_problem(node_id: str, err: dict, block: type) -> Problem:
    field = "config." + ".".join(str(p) for p in err["loc"]) if err["loc"] else "config"
    code = f"config_{err['type']}"
    if code == "config_missing" and err["loc"]:  # say how this setting is given: drawn, or the video chosen
        name = str(err["loc"][0])
        if name in getattr(block, "site_fields", ()):
            code = "config_missing_drawn"
        elif issubclass(block, SourceBlock) and name == block.location_field:
            code = "config_missing_source"
    if not has(f"problem.{code}"):  # a block's own check (value_error) or a rare kind: pydantic's English text
        return Problem("bad_config", node=node_id, field=field, params={"detail": err["msg"]})
    params = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
    return Problem(code, node=node_id, field=field, params={**params, "detail": err["msg"]})


def wiring_problems(source: str, target: str, out: Port, inp: Port, already_fed: int) -> list[Problem]:
    """Why the edge `source -> target` (both `node.port`) may not exist, given how many edges already feed the
    input: the one connection rule, used by validation, the editor and the canvas alike (same codes, same fields)."""
    node, field = target.partition(".")[0], f"inputs.{inp.name}"
    problems = []
    if not fits(out.kind, inp.kind):
        problems.append(Problem("edge_kind", node=node, field=field, params={
            "edge": f"{source} -> {target}", "out_kind": out.kind.value, "in_kind": inp.kind.value}))
    if already_fed >= 1 and not inp.many:
        problems.append(Problem("input_fed_twice", node=node, field=field, params={"edge": f"{source} -> {target}"}))
    return problems


def _edge_problems(spec: PipelineSpec, classes: dict[str, type]) -> list[Problem]:
    problems: list[Problem] = []
    fed: dict[tuple[str, str], int] = defaultdict(int)
    for edge in spec.edges:
        src, dst = classes.get(edge.source_node), classes.get(edge.target_node)
        for node_id, cls in ((edge.source_node, src), (edge.target_node, dst)):
            if cls is None and spec.node(node_id) is None:
                problems.append(Problem("edge_unknown_node", node=node_id, field="edges",
                                        params={"edge": f"{edge.source} -> {edge.target}"}))
        if src is None or dst is None:
            if dst is not None and spec.node(edge.source_node) is not None:
                fed[(edge.target_node, edge.target_port)] += 1  # fed by a node of unknown type: reported once, above
            continue
        out, inp = src.output(edge.source_port), dst.input(edge.target_port)
        if out is None:
            problems.append(Problem("edge_unknown_port", node=edge.source_node, field=f"outputs.{edge.source_port}",
                                    params={"port": edge.source_port, "side": "output",
                                            "known": ", ".join(p.name for p in src.outputs) or "-"}))
        if inp is None:
            problems.append(Problem("edge_unknown_port", node=edge.target_node, field=f"inputs.{edge.target_port}",
                                    params={"port": edge.target_port, "side": "input",
                                            "known": ", ".join(p.name for p in dst.inputs) or "-"}))
        if out is None or inp is None:
            continue
        already = fed[(edge.target_node, inp.name)]
        problems += [p for p in wiring_problems(edge.source, edge.target, out, inp, already)
                     if p.code != "input_fed_twice" or already == 1]  # a third edge is not reported again
        fed[(edge.target_node, inp.name)] += 1
    for node_id, cls in classes.items():
        for port in cls.inputs:
            if port.required and not fed[(node_id, port.name)]:
                problems.append(Problem("missing_input", node=node_id, field=f"inputs.{port.name}",
                                        params={"port": port.name, "kind": port.kind.value}))
    return problems


def _graph_problems(spec: PipelineSpec, classes: dict[str, type]) -> list[Problem]:
    problems: list[Problem] = []
    sources = [nid for nid, cls in classes.items() if issubclass(cls, SourceBlock)]
    if not sources and len(classes) == len({n.id for n in spec.nodes}):
        problems.append(Problem("no_source"))
    for extra in sources[1:]:
        problems.append(Problem("many_sources", node=extra, field="type", params={"first": sources[0]}))

    graph: dict[str, set[str]] = {n.id: set() for n in spec.nodes}
    for edge in spec.edges:
        if edge.source_node in graph and edge.target_node in graph:
            graph[edge.target_node].add(edge.source_node)
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        problems.append(Problem("cycle", node=cycle[0], field="edges", params={"cycle": " -> ".join(cycle)}))
        return problems

    if sources:
        reached = set(sources[:1])
        children = defaultdict(set)
        for node_id, parents in graph.items():
            for parent in parents:
                children[parent].add(node_id)
        todo = list(reached)
        while todo:
            for child in children[todo.pop()] - reached:
                reached.add(child)
                todo.append(child)
        problems += [Problem("unreachable", node=n.id, params={"source": sources[0]})
                     for n in spec.nodes if n.id not in reached and n.id in classes]
    return problems


def _source_file_problems(spec: PipelineSpec, classes: dict[str, type]) -> list[Problem]:
    """A warning for a source whose file is not on this machine (a template's sample clip, a file moved away): the
    run would stop at once, unless the Run page picks another video."""
    out = []
    for node in spec.nodes:
        block = classes.get(node.id)
        if block is None or not issubclass(block, SourceBlock):
            continue
        location = str(node.config.get(block.location_field) or "").strip()
        if location and "://" not in location and not Path(location).expanduser().exists():
            out.append(Problem("source_file_missing", node=node.id, field=block.location_field, severity="warning",
                               params={"path": location}))
    return out


def _write_path_problems(spec: PipelineSpec, classes: dict[str, type]) -> list[Problem]:
    """Files a block would write outside the run folder and the operator's write_dirs (`block.write_fields`): the
    same check as at run time (workbench.core.write_paths), shown before a run."""
    from workbench.core.write_paths import writable_path

    out: list[Problem] = []
    for node in spec.nodes:
        block = classes.get(node.id)
        for name in getattr(block, "write_fields", ()):
            value = node.config.get(name)
            if not isinstance(value, str) or not value.strip():
                continue
            try:
                writable_path(value, None, node.id, name)
            except WorkbenchError as exc:  # write_outside, or a broken policy file (policy_invalid)
                out += [p for p in exc.problems if p not in out]
    return out


def errors_only(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]
