"""Replay a whole pipeline on a labeled clip and score every rule's events against the ground truth.

The events are taken from every rule node as it raises them (`RunOptions.on_events`), whatever sinks the pipeline
has; the run's own output folder is a temporary one unless `out_dir` is given. A finished run can be scored too,
from its `events.jsonl` (`evaluate_run_folder`): the app's run folders hold every rule's events there.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.events import Event
from workbench.core.registry import BlockRegistry, default_registry
from workbench.engine.runner import RunOptions, run_pipeline
from workbench.engine.spec import PipelineSpec, load_spec, parse_spec
from workbench.features.evaluation.events import TimedEvent, evaluate_by_type
from workbench.features.evaluation.expect import (
    RuleScope,
    expected_events,
    map_regions,
    rule_scopes,
    suggest_region_map,
    unused_truth,
)
from workbench.features.evaluation.report import EventReport
from workbench.features.evaluation.truth import GroundTruth, load_truth_file

DEFAULT_TOLERANCE_S = 1.0


def _spec(pipeline: PipelineSpec | str | Path) -> PipelineSpec:
    return pipeline if isinstance(pipeline, PipelineSpec) else load_spec(pipeline)


def _truth(truth: GroundTruth | str | Path) -> GroundTruth:
    return truth if isinstance(truth, GroundTruth) else load_truth_file(truth)


def default_classes(spec: PipelineSpec) -> list[str] | None:
    """The classes a pipeline is meant to report, from its meta key `truth_classes` (e.g. [muck_truck]), if any."""
    raw = (spec.meta.model_extra or {}).get("truth_classes")
    return [str(c) for c in raw] if isinstance(raw, list) and raw else None


def _check_tolerance(tolerance_s: float) -> None:
    if not tolerance_s >= 0:
        raise WorkbenchError([Problem("eval_bad_tolerance", field="--tolerance", params={"value": tolerance_s})])


def evaluate_predictions(spec: PipelineSpec, predicted: Sequence[TimedEvent], truth: GroundTruth,
                         tolerance_s: float = DEFAULT_TOLERANCE_S, classes: Sequence[str] | None = None,
                         start_s: float | None = None, end_s: float | None = None,
                         registry: BlockRegistry | None = None, run: Mapping[str, Any] | None = None,
                         clip: str = "", region_map: Mapping[str, str] | None = None) -> EventReport:
    """Score predictions (each naming the node that raised it) per rule node and event type.

    `region_map` ({rule node: truth region}) says which truth region a rule stands for when the names differ; None
    pairs them automatically where that is unambiguous (`suggest_region_map`), {} pairs only by name.
    """
    _check_tolerance(tolerance_s)
    scopes = rule_scopes(spec, registry or default_registry())
    automatic = region_map is None
    region_map = suggest_region_map(scopes, truth.events) if region_map is None else {
        node: region for node, region in region_map.items() if region}
    scopes = map_regions(scopes, region_map)
    known = {s.node for s in scopes}
    for node in sorted({p.node for p in predicted} - known):  # events from a node that is no `rules/` block
        spec_node = spec.node(node)
        name = str((spec_node.config if spec_node else {}).get("name") or "")
        scopes.append(RuleScope(node=node, kind=node, regions=frozenset({node, name} - {""}),
                                config={"name": name} if name else {}))
    groups = []
    for scope in scopes:
        expected = expected_events(scope, truth.events, classes, start_s, end_s)
        got = [p for p in predicted if p.node == scope.node]
        groups += evaluate_by_type(scope.node, got, expected, tolerance_s)
    return EventReport(pipeline=spec.meta.name, clip=clip or truth.clip, truth=truth.origin, tolerance_s=tolerance_s,
                       groups=groups, unused_truth=unused_truth(scopes, truth.events), classes=list(classes or []),
                       run=dict(run or {}), region_map=dict(region_map), region_map_auto=automatic,
                       predicted_total=len(predicted), truth_total=len(truth.events))


def without_outward_sinks(spec: PipelineSpec, registry: BlockRegistry) -> PipelineSpec:
    """The pipeline without the sinks that reach outside (a webhook): replaying a labeled clip must not alert anyone
    or post anything; the scores come from the rules' events, not from sinks."""
    outward = {n.id for n in spec.nodes
               if (block := registry.get(n.type)) is not None and block.outward_fields and not block.outputs}
    if not outward:
        return spec
    data = spec.to_dict()
    data["nodes"] = [n for n in data["nodes"] if n["id"] not in outward]
    data["edges"] = [e for e in data.get("edges", []) if e["to"].split(".")[0] not in outward]
    meta = data.get("meta", {})
    for key in ("outward_pending", "site_pending"):
        if isinstance(meta.get(key), dict):
            meta[key] = {k: v for k, v in meta[key].items() if k not in outward}
    return parse_spec(data)


def run_and_collect(spec: PipelineSpec, clip: str | Path, out_dir: Path, start: float | None = None,
                    end: float | None = None, registry: BlockRegistry | None = None,
                    ) -> tuple[list[TimedEvent], dict[str, Any]]:
    """Run `spec` on `clip`; every event every rule raised (on the clip's time line) and the run summary."""
    got: list[TimedEvent] = []

    def collect(node: str, events: tuple[Event, ...]) -> None:
        got.extend(TimedEvent.from_event(e) for e in events)

    opts = RunOptions(out_dir=out_dir, source=str(clip), start=start, end=end, on_events=collect)
    summary = run_pipeline(without_outward_sinks(spec, registry or default_registry()), opts, registry)
    return got, summary


def replay(pipeline: PipelineSpec | str | Path, clip: str | Path, truth: GroundTruth | str | Path,
           tolerance_s: float = DEFAULT_TOLERANCE_S, classes: Sequence[str] | None = None,
           start: float | None = None, end: float | None = None, out_dir: str | Path | None = None,
           registry: BlockRegistry | None = None, region_map: Mapping[str, str] | None = None) -> EventReport:
    """Run the whole pipeline on `clip` and score its rules against `truth` (a GroundTruth or a truth file)."""
    _check_tolerance(tolerance_s)
    spec, gt = _spec(pipeline), _truth(truth)
    classes = classes if classes is not None else default_classes(spec)
    if not Path(clip).is_file():
        raise WorkbenchError([Problem("eval_clip_missing", field="--clip", params={"path": str(clip)})])
    registry = registry or default_registry()
    if out_dir is not None:
        predicted, summary = run_and_collect(spec, clip, Path(out_dir), start, end, registry)
    else:
        with tempfile.TemporaryDirectory(prefix="wb-eval-") as tmp:
            predicted, summary = run_and_collect(spec, clip, Path(tmp), start, end, registry)
    run = {k: summary.get(k) for k in ("status", "frames", "seconds", "processing_fps")}
    return evaluate_predictions(spec, predicted, gt, tolerance_s, classes, start, end, registry, run,
                                clip=str(clip), region_map=region_map)


def read_events_jsonl(path: str | Path) -> list[TimedEvent]:
    """Predictions from an events.jsonl file (one Event per line)."""
    path = Path(path)
    if not path.is_file():
        raise WorkbenchError([Problem("eval_events_missing", params={"path": str(path)})])
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [TimedEvent.from_event(Event.from_dict(r)) for r in rows]


def evaluate_run_folder(pipeline: PipelineSpec | str | Path, run_dir: str | Path, truth: GroundTruth | str | Path,
                        tolerance_s: float = DEFAULT_TOLERANCE_S, classes: Sequence[str] | None = None,
                        registry: BlockRegistry | None = None,
                        region_map: Mapping[str, str] | None = None) -> EventReport:
    """Score a finished run from its events.jsonl (the run folder, or its `output/` for the CLI's layout)."""
    run_dir = Path(run_dir)
    events = run_dir / "events.jsonl"
    if not events.is_file() and (run_dir / "output" / "events.jsonl").is_file():
        events = run_dir / "output" / "events.jsonl"
    summary_path = next((p for p in (run_dir / "summary.json", run_dir / "output" / "summary.json") if p.is_file()),
                        None)
    run = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path else {}
    run = {k: run.get(k) for k in ("status", "frames", "seconds", "processing_fps", "source") if k in run}
    spec = _spec(pipeline)
    classes = classes if classes is not None else default_classes(spec)
    return evaluate_predictions(spec, read_events_jsonl(events), _truth(truth), tolerance_s, classes,
                                registry=registry, run=run, clip=str(run.get("source") or ""),
                                region_map=region_map)
