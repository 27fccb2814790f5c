"""Match predicted events to ground-truth events one-to-one and score them (precision, recall, F1, counts, latency).

Two events can match when they have the same type, the same region and direction where both name one, and times at
most `tolerance_s` apart. Among all possible pairings the matcher takes the one with the most pairs and, among those,
the smallest total time difference (an optimal assignment, scipy's `linear_sum_assignment`), so one early extra
prediction never steals the true partner of a later one. Track ids are never compared: a tracker numbers its tracks
its own way.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from workbench.core.events import Event

# Predicted event types whose `value` is a duration in seconds (zone_exit: time inside; dwell/stopped: time so far).
DURATION_TYPES = frozenset({"zone_exit", "dwell", "stopped"})
EPS = 1e-6


@dataclass(frozen=True)
class TimedEvent:
    """An event on a clip's time line: a ground-truth event or a pipeline's prediction, in one shape."""

    type: str
    time_s: float  # seconds since the start of the clip (for predictions: the frame's pts)
    region: str = ""
    direction: str = ""
    duration_s: float | None = None  # how long (visit, stop) where it applies
    track: int | None = None
    class_name: str = ""
    node: str = ""  # predictions: the rule node that raised it
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        d = {"type": self.type, "time_s": round(self.time_s, 4), "region": self.region, "direction": self.direction,
             "duration_s": self.duration_s, "track": self.track, "class": self.class_name}
        if self.node:
            d["node"] = self.node
        if self.extra:
            d["extra"] = dict(self.extra)
        return d

    @classmethod
    def from_event(cls, event: Event) -> TimedEvent:
        """A pipeline's event (events.jsonl row or on_events record) on the clip's time line."""
        duration = float(event.value) if event.type in DURATION_TYPES and event.value is not None else None
        return cls(type=event.type, time_s=float(event.pts), region=event.region, direction=event.direction,
                   duration_s=duration, track=event.track_id, class_name=event.class_name, node=event.node)


@dataclass(frozen=True)
class Match:
    truth: TimedEvent
    predicted: TimedEvent

    @property
    def latency_s(self) -> float:
        """How late the prediction came (negative: early)."""
        return self.predicted.time_s - self.truth.time_s

    @property
    def duration_error_s(self) -> float | None:
        """Predicted minus true duration, where both events carry one."""
        if self.truth.duration_s is None or self.predicted.duration_s is None:
            return None
        return self.predicted.duration_s - self.truth.duration_s


@dataclass(frozen=True)
class Stats:
    """Summary of signed numbers (seconds): mean, median, max, and the largest absolute value."""

    n: int
    mean: float
    median: float
    max: float
    max_abs: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Stats | None:
        vals = [float(v) for v in values]
        if not vals:
            return None
        return cls(n=len(vals), mean=statistics.fmean(vals), median=statistics.median(vals), max=max(vals),
                   max_abs=max(abs(v) for v in vals))

    def to_dict(self) -> dict[str, float]:
        return {"n": self.n, "mean": round(self.mean, 4), "median": round(self.median, 4), "max": round(self.max, 4),
                "max_abs": round(self.max_abs, 4)}


def _same_if_both(a: str, b: str) -> bool:
    return not a or not b or a == b


def compatible(pred: TimedEvent, truth: TimedEvent, tolerance_s: float) -> bool:
    """May `pred` be the prediction of `truth`? Same type, region/direction where both have one, close in time."""
    return (pred.type == truth.type and _same_if_both(pred.region, truth.region)
            and _same_if_both(pred.direction, truth.direction)
            and abs(pred.time_s - truth.time_s) <= tolerance_s + EPS)


def match_events(predicted: Sequence[TimedEvent], truth: Sequence[TimedEvent], tolerance_s: float,
                 ) -> tuple[list[Match], list[TimedEvent], list[TimedEvent]]:
    """One-to-one matching: (matches, unmatched predictions = false positives, unmatched truth = false negatives)."""
    if not predicted or not truth:
        return [], list(predicted), list(truth)
    n_p, n_t = len(predicted), len(truth)
    ok = np.array([[compatible(p, t, tolerance_s) for t in truth] for p in predicted], dtype=bool)
    dt = np.abs(np.array([p.time_s for p in predicted])[:, None] - np.array([t.time_s for t in truth])[None, :])
    # A forbidden pair costs more than every allowed pair together: the assignment first maximises the number of
    # allowed pairs, then minimises their total time difference.
    forbidden = (min(n_p, n_t) + 1) * (tolerance_s + 1.0) * 10.0
    cost = np.where(ok, dt, forbidden)
    rows, cols = linear_sum_assignment(cost)
    matches = [Match(truth=truth[c], predicted=predicted[r]) for r, c in zip(rows, cols, strict=True) if ok[r, c]]
    used_p = {r for r, c in zip(rows, cols, strict=True) if ok[r, c]}
    used_t = {c for r, c in zip(rows, cols, strict=True) if ok[r, c]}
    matches.sort(key=lambda m: m.truth.time_s)
    return (matches, [p for i, p in enumerate(predicted) if i not in used_p],
            [t for j, t in enumerate(truth) if j not in used_t])


def _ratio(num: int, den: int, empty: float) -> float:
    return num / den if den else empty


class Rates:
    """Precision, recall and F1 from the `tp`, `fp` and `fn` a subclass provides (one group's result, the totals)."""

    @property
    def precision(self) -> float:
        """Share of predictions that are true; 1.0 when nothing was predicted and nothing was missed."""
        return _ratio(self.tp, self.tp + self.fp, 1.0 if self.fn == 0 else 0.0)

    @property
    def recall(self) -> float:
        """Share of true events found; 1.0 when there was nothing to find and nothing was predicted."""
        return _ratio(self.tp, self.tp + self.fn, 1.0 if self.fp == 0 else 0.0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class GroupResult(Rates):
    """The score of one rule node and event type."""

    node: str
    type: str
    tolerance_s: float
    matches: list[Match]
    false_positives: list[TimedEvent]
    false_negatives: list[TimedEvent]

    @property
    def tp(self) -> int:
        return len(self.matches)

    @property
    def fp(self) -> int:
        return len(self.false_positives)

    @property
    def fn(self) -> int:
        return len(self.false_negatives)

    @property
    def predicted(self) -> list[TimedEvent]:
        return [m.predicted for m in self.matches] + self.false_positives

    @property
    def truth(self) -> list[TimedEvent]:
        return [m.truth for m in self.matches] + self.false_negatives

    @property
    def count_error(self) -> int:
        """Predicted count minus true count (what a counter would be off by, ignoring timing)."""
        return len(self.predicted) - len(self.truth)

    @property
    def count_error_by_direction(self) -> dict[str, int]:
        """Per direction, where the truth names directions (zone rules add in/out that the truth may not give)."""
        if self.truth and not any(e.direction for e in self.truth):
            return {}
        pred = Counter(e.direction for e in self.predicted if e.direction)
        true = Counter(e.direction for e in self.truth if e.direction)
        return {d: pred[d] - true[d] for d in sorted(set(pred) | set(true))}

    @property
    def latency(self) -> Stats | None:
        return Stats.of(m.latency_s for m in self.matches)

    @property
    def duration_error(self) -> Stats | None:
        return Stats.of(e for m in self.matches if (e := m.duration_error_s) is not None)

    def to_dict(self, details: bool = True) -> dict[str, Any]:
        lat, dur = self.latency, self.duration_error
        d: dict[str, Any] = {
            "node": self.node, "type": self.type, "tolerance_s": self.tolerance_s,
            "tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
            "recall": round(self.recall, 4), "f1": round(self.f1, 4), "count_predicted": len(self.predicted),
            "count_true": len(self.truth), "count_error": self.count_error,
            "count_error_by_direction": self.count_error_by_direction,
            "latency_s": lat.to_dict() if lat else None, "duration_error_s": dur.to_dict() if dur else None,
        }
        if details:
            d["matches"] = [{"truth": m.truth.to_dict(), "predicted": m.predicted.to_dict(),
                             "latency_s": round(m.latency_s, 4)} for m in self.matches]
            d["false_positives"] = [e.to_dict() for e in self.false_positives]
            d["false_negatives"] = [e.to_dict() for e in self.false_negatives]
        return d


def evaluate_events(predicted: Sequence[TimedEvent], truth: Sequence[TimedEvent], tolerance_s: float,
                    node: str = "", type_: str = "") -> GroupResult:
    """Score one group of predictions against one group of true events."""
    matches, fps, fns = match_events(predicted, truth, tolerance_s)
    return GroupResult(node=node, type=type_, tolerance_s=tolerance_s, matches=matches, false_positives=fps,
                       false_negatives=fns)


def evaluate_by_type(node: str, predicted: Sequence[TimedEvent], truth: Sequence[TimedEvent],
                     tolerance_s: float) -> list[GroupResult]:
    """One result per event type seen in either list (sorted by type)."""
    types = sorted({e.type for e in predicted} | {e.type for e in truth})
    return [evaluate_events([e for e in predicted if e.type == t], [e for e in truth if e.type == t], tolerance_s,
                            node=node, type_=t) for t in types]


@dataclass(frozen=True)
class Totals(Rates):
    """Micro-averaged over every group: all matches, false positives and false negatives summed."""

    tp: int
    fp: int
    fn: int

    @classmethod
    def of(cls, groups: Iterable[GroupResult]) -> Totals:
        groups = list(groups)
        return cls(tp=sum(g.tp for g in groups), fp=sum(g.fp for g in groups), fn=sum(g.fn for g in groups))

    def to_dict(self) -> dict[str, Any]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}
