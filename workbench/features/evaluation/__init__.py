"""Evaluation that counts what staff care about: per-rule event scores of a replayed pipeline against ground-truth
events (`replay`), and detection metrics of several models on one held-out dataset (`detection`).

    from workbench.features.evaluation import replay
    report = replay("pipelines/vehicle_count_line.yaml", "clip.mp4", "clip.truth.json", tolerance_s=1.0)
    report.metrics()    # {"events.count_line.line_crossing.f1": 1.0, ...} for mlflow.log_metrics

Heavy imports (ultralytics) happen only in `workbench.features.evaluation.detection`.
"""

from workbench.features.evaluation.events import GroupResult, Match, TimedEvent, evaluate_events, match_events
from workbench.features.evaluation.expect import RuleScope, expected_events, rule_scopes
from workbench.features.evaluation.replay import evaluate_predictions, evaluate_run_folder, replay
from workbench.features.evaluation.report import EventReport
from workbench.features.evaluation.truth import (
    GroundTruth,
    LabeledTrack,
    derive_events,
    load_truth_file,
    tracks_from_synth,
)

__all__ = [
    "EventReport", "GroundTruth", "GroupResult", "LabeledTrack", "Match", "RuleScope", "TimedEvent", "derive_events",
    "evaluate_events", "evaluate_predictions", "evaluate_run_folder", "expected_events", "load_truth_file",
    "match_events", "replay", "rule_scopes", "tracks_from_synth",
]
