"""What the Evaluate page shows, as plain data: clips and their ground truth, the truth editor's rows, the event
report and the detection comparison as table rows. No Streamlit here (tested directly).

Truth beside a clip: the generator writes `<clip stem>.truth.json` beside a synthetic clip; events staff enter in the
page are saved as `<clip stem>.truth.csv` in the same place (the CSV format of `workbench.features.evaluation.truth`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.apps.ui.labels import direction_name
from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import current_language, t
from workbench.core.paths import workbench_home
from workbench.core.registry import BlockRegistry
from workbench.engine.spec import PipelineSpec, load_spec
from workbench.features.evaluation.detection import DetectionComparison
from workbench.features.evaluation.expect import rule_scopes, suggest_region_map, truth_regions
from workbench.features.evaluation.replay import default_classes, evaluate_predictions, read_events_jsonl
from workbench.features.evaluation.report import EventReport
from workbench.features.evaluation.truth import (
    GroundTruth,
    load_truth_file,
    parse_truth,
    parse_truth_csv,
    write_truth_csv,
)
from workbench.features.finetune.clips import Clip, ClipLibrary
from workbench.features.synth import demo
from workbench.jobs import runs as jobs

EVENT_TYPES = ("line_crossing", "zone_enter", "zone_exit", "dwell", "stopped")
DIRECTIONS = ("", "in", "out")
EDITOR_COLUMNS = ("type", "region", "direction", "time_s", "duration_s")
RULE_COLUMNS = ("rule", "type", "tp", "fp", "fn", "precision", "recall", "f1", "predicted", "true", "count_error",
                "count_error_by_direction", "latency_mean_s", "latency_max_s", "duration_error_mean_s")
UNMATCHED_COLUMNS = ("rule", "type", "kind", "time_s", "region", "direction", "duration_s", "class")
DETECTION_COLUMNS = ("model", "map50", "map50_95", "precision", "recall", "instances", "seconds")
PER_CLASS_COLUMNS = ("class", "model", "instances", "precision", "recall", "map50", "map50_95")
TRUTH_SUFFIXES = (".truth.json", ".truth.csv")


# -- clips and their truth -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClipChoice:
    """A video to evaluate on, and the files it was copied from (a generator's truth beside those counts too)."""

    video: Path
    originals: tuple[Path, ...] = ()

    def truth_file(self) -> Path | None:
        """The truth found beside the clip: the generator's `.truth.json` first, then events saved by staff."""
        for suffix in TRUTH_SUFFIXES:
            for video in (self.video, *self.originals):
                candidate = video.with_name(video.stem + suffix)
                if candidate.is_file():
                    return candidate
        return None

    def expected_truth_file(self) -> Path:
        """Where the generator's truth of this clip would be (named in the "no truth" problem)."""
        return self.video.with_name(self.video.stem + TRUTH_SUFFIXES[0])

    def staff_truth_file(self) -> Path:
        """Where events entered in the page are saved: `<stem>.truth.csv` beside the video."""
        return self.video.with_name(self.video.stem + TRUTH_SUFFIXES[1])


def demo_choice() -> ClipChoice:
    return ClipChoice(demo.demo_clip())


def library_choices(library: ClipLibrary | None = None) -> dict[str, ClipChoice]:
    """clip id -> choice, newest import first; clips whose video is gone are left out."""
    library = library or ClipLibrary()
    out = {}
    for clip in library.list():
        video = clip.video_path(library.root)
        if video.is_file():
            out[clip.id] = ClipChoice(video, (Path(clip.original_path),) if clip.original_path else ())
    return out


def clip_label(clip: Clip) -> str:
    return f"{clip.name} ({clip.duration_s:.0f} s)"


def beside_truth(clip: ClipChoice) -> tuple[GroundTruth, Path]:
    """The truth found beside the clip and its file; `eval_truth_missing` naming where it was expected."""
    found = clip.truth_file()
    if found is None:
        raise WorkbenchError([Problem("eval_truth_missing", field="--truth",
                                      params={"path": str(clip.expected_truth_file())})])
    return load_truth_file(found), found


def pipeline_labels(entries: Iterable[Any], lang: str | None = None) -> dict[str, str]:
    """pipeline path -> "title (name)", marked bundled or mine."""
    return {str(e.path): t("app.eval.pipeline_bundled" if e.bundled else "app.eval.pipeline_mine", lang,
                           title=e.title, name=e.name) for e in entries}


def truth_from_upload(name: str, data: bytes) -> GroundTruth:
    """An uploaded truth file (JSON in either format, or CSV by its name)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WorkbenchError([Problem("eval_truth_unreadable", field="--truth",
                                      params={"path": name, "detail": str(exc)})]) from None
    if name.lower().endswith(".csv"):
        return parse_truth_csv(text, origin=name)
    try:
        data_json = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkbenchError([Problem("eval_truth_unreadable", field="--truth", params={
            "path": name, "detail": f"not JSON (line {exc.lineno}): {exc.msg}"})]) from None
    return parse_truth(data_json, origin=name)


# -- the truth editor --------------------------------------------------------------------------------------------------
def _cell(value: Any) -> Any:
    """An editor cell as the truth parser wants it: blanks and NaN become None, text is stripped."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value.strip() or None
    return value


def editor_frame(rows: list[dict[str, Any]]) -> Any:
    """The truth editor's table: the rows in `EDITOR_COLUMNS`, text columns as objects, times as floats."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(EDITOR_COLUMNS))
    return frame.astype({"type": "object", "region": "object", "direction": "object", "time_s": "float64",
                         "duration_s": "float64"})


def truth_to_rows(truth: GroundTruth) -> list[dict[str, Any]]:
    """One editor row per true event (type, region, direction, time_s, duration_s)."""
    return [{"type": e.type, "region": e.region, "direction": e.direction, "time_s": round(e.time_s, 3),
             "duration_s": None if e.duration_s is None else round(e.duration_s, 3)} for e in truth.events]


def rows_to_truth(rows: Iterable[Mapping[str, Any]], origin: str = "editor") -> GroundTruth:
    """The editor's rows as ground truth; empty rows are skipped, bad cells are problems naming row and column."""
    cleaned = []
    for row in rows:
        cells = {k: _cell(row.get(k)) for k in EDITOR_COLUMNS}
        if any(v is not None for v in cells.values()):
            cleaned.append({k: v for k, v in cells.items() if v is not None})
    return parse_truth({"events": cleaned}, origin=origin)


def load_rows(path: Path) -> list[dict[str, Any]]:
    """Editor rows from a saved truth file; none when there is no file yet."""
    return truth_to_rows(load_truth_file(path)) if path.is_file() else []


def save_rows(rows: Iterable[Mapping[str, Any]], path: Path) -> GroundTruth:
    """Check the rows and save them as truth CSV at `path` (nothing written when a row is wrong)."""
    truth = rows_to_truth(rows, origin=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(write_truth_csv(truth), encoding="utf-8")
    truth.origin = str(path)
    return truth


def watched_regions(spec: PipelineSpec, registry: BlockRegistry | None = None) -> list[tuple[str, str]]:
    """(region, event types) each rule of the pipeline watches: what truth rows should name."""
    out = []
    for scope in rule_scopes(spec, registry):
        region = str(scope.config.get("name") or scope.node)
        out.append((region, ", ".join(scope.types) if scope.types else "*"))
    return out


def region_pairing(spec: PipelineSpec, truth: GroundTruth, registry: BlockRegistry | None = None,
                   ) -> list[tuple[str, list[str], str]]:
    """Per rule node: (node, truth regions it may stand for, the region it is paired with by default: its own name
    when the truth uses it, else the unambiguous automatic pairing, else "" = none)."""
    scopes = rule_scopes(spec, registry)
    suggested = suggest_region_map(scopes, truth.events)
    out = []
    for scope in scopes:
        regions = truth_regions(scope, truth.events)
        own = next((r for r in regions if r in scope.regions), "")
        out.append((scope.node, regions, own or suggested.get(scope.node, "")))
    return out


# -- the event report ----------------------------------------------------------------------------------------------
def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


def _signed(counts: Mapping[str, int], lang: str | None) -> str:
    return " · ".join(f"{direction_name(d, lang or current_language())} {v:+d}" for d, v in counts.items())


def rule_rows(report: EventReport, lang: str | None = None) -> list[dict[str, Any]]:
    """One row per rule and event type: P/R/F1, counts, count error (also per direction), latency, duration error."""
    rows = []
    for g in report.groups:
        lat, dur = g.latency, g.duration_error
        rows.append({"rule": g.node, "type": g.type, "tp": g.tp, "fp": g.fp, "fn": g.fn,
                     "precision": _r(g.precision), "recall": _r(g.recall), "f1": _r(g.f1),
                     "predicted": len(g.predicted), "true": len(g.truth), "count_error": g.count_error,
                     "count_error_by_direction": _signed(g.count_error_by_direction, lang),
                     "latency_mean_s": _r(lat.mean if lat else None), "latency_max_s": _r(lat.max if lat else None),
                     "duration_error_mean_s": _r(dur.mean if dur else None)})
    return rows


def score_chart_rows(report: EventReport) -> list[dict[str, Any]]:
    """Long rows for a grouped bar chart: (rule · type, metric, value) for precision, recall and F1."""
    return [{"rule": f"{g.node} · {g.type}", "metric": metric, "value": round(getattr(g, metric), 3)}
            for g in report.groups for metric in ("precision", "recall", "f1")]


def unmatched_rows(report: EventReport) -> list[dict[str, Any]]:
    """True events no prediction matched (kind "missed") and predictions no true event matched ("extra")."""
    rows = []
    for g in report.groups:
        for kind, events in (("missed", g.false_negatives), ("extra", g.false_positives)):
            rows += [{"rule": g.node, "type": g.type, "kind": kind, "time_s": round(e.time_s, 3), "region": e.region,
                      "direction": e.direction, "duration_s": _r(e.duration_s), "class": e.class_name}
                     for e in events]
    return sorted(rows, key=lambda r: (r["rule"], r["time_s"]))


def total_tiles(report: EventReport) -> list[tuple[str, str]]:
    """(metric, shown value) of the totals over every rule: TP, FP, FN, then precision, recall, F1 with 2 digits."""
    tot = report.totals
    return [("tp", str(tot.tp)), ("fp", str(tot.fp)), ("fn", str(tot.fn)), ("precision", f"{tot.precision:.2f}"),
            ("recall", f"{tot.recall:.2f}"), ("f1", f"{tot.f1:.2f}")]


def score_chart(report: EventReport, lang: str | None = None) -> Any:
    """Precision, recall and F1 of each rule as grouped horizontal bars (an Altair chart)."""
    import altair as alt
    import pandas as pd

    data = pd.DataFrame(score_chart_rows(report))
    order = [t(f"app.eval.col.{m}", lang) for m in ("precision", "recall", "f1")]
    data["metric"] = data["metric"].map(lambda m: t(f"app.eval.col.{m}", lang))
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("rule:N", title=t("app.eval.col.rule", lang), axis=alt.Axis(labelLimit=320)),
        yOffset=alt.YOffset("metric:N", sort=order),
        x=alt.X("value:Q", title="", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("metric:N", title="", sort=order), tooltip=["rule", "metric", "value"],
    ).properties(height=30 + 60 * len(report.groups))


def unused_truth_text(report: EventReport) -> str:
    """True events no rule watches, e.g. "line_crossing/count_lin ×3" (a misspelt region shows here)."""
    return ", ".join(f"{key} ×{n}" for key, n in report.unused_truth.items())


# -- finished runs -----------------------------------------------------------------------------------------------------
def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    except (OSError, RuntimeError):
        return False


def matching_runs(runs: Sequence[jobs.RunStatus], spec: PipelineSpec, video: Path) -> list[jobs.RunStatus]:
    """Finished runs of this pipeline (by name) on this clip, with events to score."""
    return [r for r in runs if r.state == "done" and r.pipeline == spec.meta.name and r.source
            and _same_file(r.source, video) and jobs.events_file(r.id).is_file()]


def run_labels(runs: Sequence[jobs.RunStatus], lang: str | None = None) -> dict[str, str]:
    """run id -> "started · events · id" for the run picker."""
    return {r.id: t("app.eval.run_label", lang, started=r.started.replace("T", " ")[:19], events=r.event_total or 0,
                    id=r.id) for r in runs}


def run_evaluation(spec: PipelineSpec, video: Path, truth: GroundTruth, tolerance_s: float, run_id: str | None,
                   registry: BlockRegistry | None = None,
                   region_map: Mapping[str, str] | None = None) -> EventReport | list[Problem]:
    """Score a finished run (`run_id`) or replay the pipeline on the clip; the report, or the problems to show.
    `region_map`: {rule node: truth region} as the user paired them (None: automatic)."""
    from workbench.features.evaluation.replay import replay

    try:
        if run_id:
            return evaluate_run(run_id, truth, tolerance_s, registry, region_map)
        return replay(spec, video, truth, tolerance_s=tolerance_s, registry=registry, region_map=region_map)
    except WorkbenchError as exc:
        return list(exc.problems)


def evaluate_run(run_id: str, truth: GroundTruth, tolerance_s: float, registry: BlockRegistry | None = None,
                 region_map: Mapping[str, str] | None = None) -> EventReport:
    """Score a finished background run: the pipeline it ran, its events, over the part of the clip it processed."""
    folder = jobs.run_dir(run_id)
    spec = load_spec(folder / jobs.PIPELINE_FILE)
    meta = json.loads((folder / jobs.REQUEST_FILE).read_text(encoding="utf-8"))
    request = meta.get("request") or {}
    summary = jobs.run_status(run_id).summary or {}
    run = {"id": run_id, **{k: summary.get(k) for k in ("status", "frames", "seconds", "processing_fps")}}
    return evaluate_predictions(spec, read_events_jsonl(jobs.events_file(run_id)), truth, tolerance_s,
                                default_classes(spec), start_s=request.get("start") or None,
                                end_s=request.get("end") or None, registry=registry, run=run,
                                clip=str(meta.get("source") or ""), region_map=region_map)


# -- detection -------------------------------------------------------------------------------------------------------
def dataset_yamls(home: Path | None = None) -> list[Path]:
    """`<home>/datasets/*/data.yaml`, by folder name."""
    return sorted(((home or workbench_home()) / "datasets").glob("*/data.yaml"))


def run_comparison(data: str, models: Sequence[str], imgsz: int) -> DetectionComparison | list[Problem]:
    """`compare_models` on the dataset at `imgsz`: the comparison, or the problems to show."""
    from workbench.features.evaluation.detection import compare_models

    try:
        return compare_models(data, list(models), imgsz=imgsz)
    except WorkbenchError as exc:
        return list(exc.problems)


def detection_rows(comparison: DetectionComparison) -> list[dict[str, Any]]:
    """One row per model, in the order compared (base first)."""
    return [{"model": m.label, "map50": _r(m.map50), "map50_95": _r(m.map50_95), "precision": _r(m.precision),
             "recall": _r(m.recall), "instances": m.instances, "seconds": m.seconds} for m in comparison.models]


def per_class_rows(comparison: DetectionComparison) -> list[dict[str, Any]]:
    """Per class, one row per model next to each other (None where the split has no box of that class)."""
    rows = []
    for name in comparison.classes:
        for m in comparison.models:
            c = next(c for c in m.per_class if c.name == name)
            rows.append({"class": name, "model": m.label, "instances": c.instances, "precision": _r(c.precision),
                         "recall": _r(c.recall), "map50": _r(c.map50), "map50_95": _r(c.map50_95)})
    return rows
