"""The event-evaluation report: a JSON-ready dict, flat metrics for MLflow, and a short text table for the CLI.

Flat metric keys (all values floats, ready for `mlflow.log_metrics`):
`events.<node>.<type>.<metric>` with metric one of tp, fp, fn, precision, recall, f1, count_true, count_predicted,
count_error, `count_error.<direction>`, latency_mean_s, latency_median_s, latency_max_s, duration_error_mean_s,
duration_error_median_s, duration_error_max_abs_s (latency and duration only where there are matches to measure);
and `events.total.<tp|fp|fn|precision|recall|f1>` summed over every rule.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from workbench.core.errors import Problem
from workbench.core.i18n import t
from workbench.features.evaluation.events import GroupResult, Totals

_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_\-./ ]")


def metric_key(*parts: str) -> str:
    """A metric name MLflow accepts: letters, digits, _ - . / and space; anything else becomes _."""
    return ".".join(_KEY_UNSAFE.sub("_", p) for p in parts)


@dataclass
class EventReport:
    """Scores of every rule of one pipeline on one labeled clip."""

    pipeline: str
    clip: str
    truth: str
    tolerance_s: float
    groups: list[GroupResult]
    unused_truth: dict[str, int] = field(default_factory=dict)
    classes: list[str] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)
    region_map: dict[str, str] = field(default_factory=dict)  # rule node -> the truth region it stands for
    region_map_auto: bool = False  # the map was paired automatically (one rule, one truth region of its types)
    predicted_total: int = 0  # every event the pipeline raised
    truth_total: int = 0  # every event in the truth

    @property
    def totals(self) -> Totals:
        return Totals.of(self.groups)

    def zero_reasons(self) -> list[Problem]:
        """Why nothing was matched, when nothing was (so a report never shows 0 without a reason); [] otherwise."""
        if self.totals.tp:
            return []
        reasons = []
        if not self.groups:
            reasons.append(Problem("eval_zero_no_rules", severity="warning"))
        if not self.predicted_total:
            reasons.append(Problem("eval_zero_no_events", severity="warning"))
        if not self.truth_total:
            reasons.append(Problem("eval_zero_no_truth", severity="warning"))
        elif self.unused_truth and all(not g.truth for g in self.groups):
            reasons.append(Problem("eval_zero_regions", severity="warning", params={
                "rules": ", ".join(sorted({g.node for g in self.groups})) or "-",
                "regions": ", ".join(sorted({k.split("/", 1)[-1] for k in self.unused_truth}))}))
        elif self.classes and all(not g.truth for g in self.groups):
            reasons.append(Problem("eval_zero_classes", severity="warning",
                                   params={"classes": ", ".join(self.classes)}))
        if self.predicted_total and any(g.truth for g in self.groups):
            reasons.append(Problem("eval_zero_timing", severity="warning", params={"tolerance": self.tolerance_s}))
        return reasons

    def group(self, node: str, type_: str) -> GroupResult | None:
        return next((g for g in self.groups if g.node == node and g.type == type_), None)

    def to_dict(self, details: bool = True) -> dict[str, Any]:
        return {"pipeline": self.pipeline, "clip": self.clip, "truth": self.truth, "tolerance_s": self.tolerance_s,
                "classes": self.classes, "run": self.run, "totals": self.totals.to_dict(),
                "rules": [g.to_dict(details) for g in self.groups], "unused_truth": self.unused_truth,
                "region_map": self.region_map, "region_map_auto": self.region_map_auto,
                "zero_reasons": [p.code for p in self.zero_reasons()]}

    def to_json(self, details: bool = True) -> str:
        return json.dumps(self.to_dict(details), ensure_ascii=False, indent=2)

    def metrics(self, prefix: str = "events") -> dict[str, float]:
        """Flat `{key: float}` for `mlflow.log_metrics` (see the module docstring for the keys)."""
        out: dict[str, float] = {}
        for g in self.groups:
            base = (prefix, g.node, g.type)
            for name in ("tp", "fp", "fn", "precision", "recall", "f1", "count_error"):
                out[metric_key(*base, name)] = float(getattr(g, name))
            out[metric_key(*base, "count_true")] = float(len(g.truth))
            out[metric_key(*base, "count_predicted")] = float(len(g.predicted))
            for direction, err in g.count_error_by_direction.items():
                out[metric_key(*base, "count_error", direction)] = float(err)
            if (lat := g.latency) is not None:
                for stat in ("mean", "median", "max"):
                    out[metric_key(*base, f"latency_{stat}_s")] = float(getattr(lat, stat))
            if (dur := g.duration_error) is not None:
                for stat in ("mean", "median", "max_abs"):
                    out[metric_key(*base, f"duration_error_{stat}_s")] = float(getattr(dur, stat))
        totals = self.totals
        for name in ("tp", "fp", "fn", "precision", "recall", "f1"):
            out[metric_key(prefix, "total", name)] = float(getattr(totals, name))
        return out

    def format_text(self, lang: str | None = None) -> str:
        """A table for people: one line per rule and event type, then the totals."""
        head = (t("eval.col_rule", lang), t("eval.col_type", lang), "TP", "FP", "FN", "P", "R", "F1",
                t("eval.col_count", lang), t("eval.col_latency", lang))
        rows = []
        for g in self.groups:
            lat = g.latency
            count = f"{len(g.predicted)}/{len(g.truth)} ({g.count_error:+d})"
            rows.append((g.node, g.type, str(g.tp), str(g.fp), str(g.fn), f"{g.precision:.2f}", f"{g.recall:.2f}",
                         f"{g.f1:.2f}", count, "-" if lat is None else f"{lat.mean:+.2f}/{lat.max:+.2f}"))
        widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
        lines = [t("eval.header", lang, pipeline=self.pipeline, tolerance=self.tolerance_s)]
        lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows]]
        tot = self.totals
        lines.append(t("eval.totals", lang, tp=tot.tp, fp=tot.fp, fn=tot.fn, precision=f"{tot.precision:.2f}",
                       recall=f"{tot.recall:.2f}", f1=f"{tot.f1:.2f}"))
        if self.region_map:
            pairs = ", ".join(f"{node} = {region}" for node, region in self.region_map.items())
            lines.append(t("eval.region_map_auto" if self.region_map_auto else "eval.region_map", lang, pairs=pairs))
        if self.unused_truth:
            items = ", ".join(f"{k} x{v}" for k, v in self.unused_truth.items())
            lines.append(t("eval.unused_truth", lang, items=items))
        lines += [p.message(lang) for p in self.zero_reasons()]
        return "\n".join(lines)
