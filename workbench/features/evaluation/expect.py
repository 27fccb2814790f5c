"""Which true events each rule node of a pipeline is expected to report, read from the rule's own settings.

A rule watches one region (its `name`; staff may also use the node id as the region) and reports some event types:

- `rules/line_crossing`: every true `line_crossing` of its line, in the directions it is set to report.
- `rules/zone_enter_exit`: `zone_enter` / `zone_exit` of its zone, as set in `events`.
- `rules/stopped`: every true stop of at least `min_seconds` in its zone (anywhere when it has no zone), expected
  at the moment the stop reaches `min_seconds` (stop time + min_seconds): the rule fires then, not when the car stops.
  The rule's `value` is the time stopped so far, so no duration is compared; the true length is kept in `extra`.
- `rules/dwell`: every visit (`dwell`) of at least `min_seconds`, expected at entry + min_seconds.
- any other rule (speed, wrong way, crowding, plugins): true events of any type whose region is the rule's.

The truth may name a region differently from the rule (staff kept the default line name "line" where the clip's
truth says "count_line"): `region_map` pairs a rule node with a truth region, and `suggest_region_map` pairs them the
way a user means it when nothing is said: one rule and one truth region of the same event types, neither matched by
name, belong together.

`classes` keeps only true events of those classes (e.g. `muck_truck` when the pipeline is meant to report trucks
and not the worker who walks out of the same gate); events without a class are always kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from workbench.core.class_names import class_key, class_keys
from workbench.core.registry import BlockRegistry
from workbench.engine.spec import NodeSpec, PipelineSpec
from workbench.features.evaluation.events import EPS, TimedEvent

NOT_RULES = {"time_window"}  # rules that only pass other rules' events on


@dataclass(frozen=True)
class RuleScope:
    """What one rule node reports, from its settings (defaults filled in)."""

    node: str
    kind: str  # block name without category and version, e.g. line_crossing
    regions: frozenset[str]
    config: dict[str, Any]

    @property
    def types(self) -> tuple[str, ...] | None:
        """Event types the rule raises; None = any (rules this module does not know)."""
        if self.kind == "line_crossing":
            return ("line_crossing",)
        if self.kind == "zone_enter_exit":
            return tuple(f"zone_{e}" for e in self.config.get("events", ("enter", "exit")))
        if self.kind in ("stopped", "dwell"):
            return (self.kind,)
        return None

    def watches(self, event: TimedEvent) -> bool:
        if self.kind == "stopped" and not self.config.get("polygon"):
            return True  # no zone: stops anywhere
        return event.region in self.regions


def _kind(type_id: str) -> str:
    return type_id.split("/")[-1].split("@")[0]


def _full_config(node: NodeSpec, registry: BlockRegistry | None) -> dict[str, Any]:
    block = registry.get(node.type) if registry else None
    if block is None:
        return dict(node.config)
    try:
        return block.Config(**node.config).model_dump()
    except Exception:  # an invalid pipeline is refused by the runner with a proper message; use what is written
        return dict(node.config)


def rule_scopes(spec: PipelineSpec, registry: BlockRegistry | None = None) -> list[RuleScope]:
    """One scope per rule node (nodes of category `rules`, except pass-through filters such as time windows)."""
    out = []
    for node in spec.nodes:
        if not node.type.startswith("rules/") or _kind(node.type) in NOT_RULES:
            continue
        cfg = _full_config(node, registry)
        names = {node.id} | ({str(cfg["name"])} if cfg.get("name") else set())
        out.append(RuleScope(node=node.id, kind=_kind(node.type), regions=frozenset(names), config=cfg))
    return out


def map_regions(scopes: Sequence[RuleScope], region_map: Mapping[str, str]) -> list[RuleScope]:
    """The scopes with each mapped rule node also watching its truth region (`{node: region}`)."""
    return [replace(s, regions=s.regions | {region_map[s.node]}) if region_map.get(s.node) else s for s in scopes]


def truth_regions(scope: RuleScope, truth: Sequence[TimedEvent]) -> list[str]:
    """The regions the truth names for events of the types `scope`'s rule raises (what it could be mapped to)."""
    return sorted({e.region for e in truth if e.region and (scope.types is None or e.type in scope.types)})


def suggest_region_map(scopes: Sequence[RuleScope], truth: Sequence[TimedEvent]) -> dict[str, str]:
    """Rules whose region the truth never names, each paired with the truth's only region of the same event types
    that no rule watches, where that pairing is unambiguous (one such rule and one such region)."""
    def named(scope: RuleScope) -> bool:
        return any(scope.watches(e) for e in truth if scope.types is None or e.type in scope.types)

    unnamed = [s for s in scopes if s.types is not None and not named(s)]
    out: dict[str, str] = {}
    for types in dict.fromkeys(s.types for s in unnamed):
        group = [s for s in unnamed if s.types == types]
        free = {e.region for e in truth if e.region and e.type in types
                and not any(s.watches(e) for s in scopes if s.types is None or e.type in s.types)}
        if len(group) == 1 and len(free) == 1:
            out[group[0].node] = free.pop()
    return out


def _threshold_alerts(events: Iterable[TimedEvent], min_seconds: float) -> list[TimedEvent]:
    """Visits/stops long enough, moved to the moment the rule should fire; the true length goes to `extra`."""
    out = []
    for e in events:
        if e.duration_s is not None and e.duration_s < min_seconds - EPS:
            continue
        out.append(replace(e, time_s=e.time_s + min_seconds, duration_s=None,
                           extra={**e.extra, "start_s": e.time_s, "true_duration_s": e.duration_s}))
    return out


def _dedupe(events: Sequence[TimedEvent]) -> list[TimedEvent]:
    """One stop per object and moment (the generator lists a stop once per zone it is in)."""
    seen, out = set(), []
    for e in events:
        key = (e.track, round(e.time_s, 3)) if e.track is not None else id(e)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def expected_events(scope: RuleScope, truth: Sequence[TimedEvent], classes: Sequence[str] | None = None,
                    start_s: float | None = None, end_s: float | None = None) -> list[TimedEvent]:
    """The true events `scope`'s rule should report, at the times it should report them.

    `start_s`/`end_s` (seconds of the clip that were processed) drop expectations outside that span.
    """
    wanted = class_keys(classes or ())  # as the rules compare them: case and surrounding spaces ignored
    types = scope.types
    events = [e for e in truth if scope.watches(e) and (types is None or e.type in types)
              and (not wanted or not e.class_name or class_key(e.class_name) in wanted)]
    if scope.kind == "line_crossing" and scope.config.get("direction", "both") != "both":
        events = [e for e in events if not e.direction or e.direction == scope.config["direction"]]
    if scope.kind in ("stopped", "dwell"):
        min_s = float(scope.config.get("min_seconds") or 0.0)
        events = _threshold_alerts(_dedupe(events) if scope.kind == "stopped" else events, min_s)
    # predictions carry the rule's name as region, whether staff wrote that name or the node id
    name = str(scope.config.get("name") or "")
    events = [replace(e, region=name) if name else e for e in events]
    if start_s is not None:
        events = [e for e in events if e.time_s >= start_s - EPS]
    if end_s is not None:
        events = [e for e in events if e.time_s <= end_s + EPS]
    return sorted(events, key=lambda e: e.time_s)


def unused_truth(scopes: Sequence[RuleScope], truth: Sequence[TimedEvent]) -> dict[str, int]:
    """True events no rule watches, counted by `type/region` (a region named differently from the rule shows here)."""
    counts: dict[str, int] = {}
    for e in truth:
        if not any(s.watches(e) and (s.types is None or e.type in s.types) for s in scopes):
            key = f"{e.type}/{e.region}"
            counts[key] = counts.get(key, 0) + 1
    return counts
