"""`workbench eval events|detection`: subcommands for workbench/apps/cli.py (the lead wires `add_parser` in).

    workbench eval events PIPELINE --clip CLIP --truth TRUTH.json [--tolerance S] [--classes A,B] [--json]
                          [--pair RULE=REGION ...] [--mlflow | --mlflow-run RUN_ID]
    workbench eval detection DATA_YAML --model A --model B [--imgsz N] [--split val] [--json]
                          [--mlflow | --mlflow-run RUN_ID]
    workbench eval detection --training JOB_ID      # base vs fine-tuned on its val split, into its MLflow run

Both print a table (or the whole report as JSON with --json) and exit 0; user errors raise WorkbenchError, which the
main CLI prints without a traceback (exit 1). `--mlflow` records the result as a new run of the experiment
"workbench-evaluation", `--mlflow-run` adds it to an existing run (e.g. a training's); the run id is printed (and is
the "mlflow" entry of the --json output).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import Any

from workbench.core import arg_types
from workbench.core.i18n import t
from workbench.features.evaluation.replay import DEFAULT_TOLERANCE_S


def _classes(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [c.strip() for c in text.split(",") if c.strip()] or None


def _pairs(items: list[str] | None) -> dict[str, str] | None:
    """`--pair RULE=REGION` options as {rule node: truth region}; None (pair automatically) when none was given."""
    if not items:
        return None
    out = {}
    for item in items:
        node, sep, region = item.partition("=")
        if not sep or not node.strip():
            from workbench.core.errors import Problem, WorkbenchError

            raise WorkbenchError([Problem("eval_bad_pair", field="--pair", params={"value": item})])
        out[node.strip()] = region.strip()
    return out


def _print_warnings(problems: Any) -> None:
    for p in problems:
        print(f"  {p.severity}: {p.where()}: {p.message()}", file=sys.stderr)


def _mlflow_target(args: argparse.Namespace) -> Any:
    """The store to log to (checked before the evaluation runs), or None when not asked to log."""
    if not (args.mlflow or args.mlflow_run):
        return None
    from workbench.features.evaluation.tracking_log import check_run
    from workbench.features.training.tracking import choose_tracking

    return check_run(args.mlflow_run) if args.mlflow_run else choose_tracking()


def _logged_dict(logged: Any) -> dict[str, Any]:
    return {"run_id": logged.run_id, "experiment_id": logged.experiment_id, "tracking_uri": logged.tracking_uri,
            "attached": logged.attached, "artifact": logged.artifact, "link": logged.link}


def _log_and_output(result: Any, tracking: Any, log: str, args: argparse.Namespace) -> int:
    """Record `result` in MLflow with tracking_log's function `log` when asked (`tracking`), then print it."""
    logged = None
    if tracking is not None:
        from workbench.features.evaluation import tracking_log

        logged = getattr(tracking_log, log)(result, run_id=args.mlflow_run, tracking=tracking)
    _output(result.to_dict(), result.format_text(), logged, args.json)
    return 0


def _output(data: dict[str, Any], text: str, logged: Any, as_json: bool) -> None:
    if logged is not None:
        _print_warnings(logged.warnings)
    if as_json:
        if logged is not None:
            data = {**data, "mlflow": _logged_dict(logged)}
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    print(text)
    if logged is not None:
        key = "cli.eval_mlflow.attached" if logged.attached else "cli.eval_mlflow.logged"
        print(t(key, run_id=logged.run_id, uri=logged.tracking_uri, artifact=logged.artifact))
        if logged.link:
            print(f"  {logged.link}")


def cmd_eval_events(args: argparse.Namespace) -> int:
    from workbench.features.evaluation.replay import replay

    tracking = _mlflow_target(args)
    with contextlib.redirect_stdout(sys.stderr):  # libraries' chatter must not spoil --json on stdout
        report = replay(args.pipeline, args.clip, args.truth, tolerance_s=args.tolerance,
                        classes=_classes(args.classes), start=args.start, end=args.end, out_dir=args.out,
                        region_map=_pairs(args.pair))
    return _log_and_output(report, tracking, "log_event_report", args)


def _eval_training(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from pathlib import Path

    from workbench.features.evaluation.finetune_compare import compare_training, finished_training

    training = finished_training(args.training)
    if args.data:
        training = replace(training, data_yaml=Path(args.data))
    with contextlib.redirect_stdout(sys.stderr):
        outcome = compare_training(training, imgsz=args.imgsz, batch=args.batch)
    _print_warnings(w for w in outcome.warnings if outcome.logged is None or w not in outcome.logged.warnings)
    _output(outcome.comparison.to_dict(), outcome.comparison.format_text(), outcome.logged, args.json)
    return 0


def cmd_eval_detection(args: argparse.Namespace) -> int:
    if args.training:
        if args.mlflow or args.mlflow_run:
            args.parser.error(t("cli.eval_mlflow.training_logs_itself"))
        return _eval_training(args)
    if not args.data:
        args.parser.error(t("cli.eval_mlflow.data_required"))
    from workbench.features.evaluation.detection import compare_models

    tracking = _mlflow_target(args)
    with contextlib.redirect_stdout(sys.stderr):
        comparison = compare_models(args.data, args.model, imgsz=args.imgsz or 320, batch=args.batch,
                                    split=args.split)
    return _log_and_output(comparison, tracking, "log_detection_comparison", args)


def _mlflow_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--mlflow", action="store_true",
                       help="record the result in MLflow as a new run of the experiment workbench-evaluation")
    group.add_argument("--mlflow-run", metavar="RUN_ID",
                       help="add the result (metrics + JSON report) to this existing MLflow run, e.g. a training's")


def add_parsers(subparsers: Any) -> argparse.ArgumentParser:
    """Add `eval` with its subcommands `events` and `detection` to the main parser's subparsers."""
    ev = subparsers.add_parser("eval", help="score a pipeline's events or compare detectors on labeled data")
    sub = ev.add_subparsers(dest="eval_command", required=True)

    p = sub.add_parser("events", help="replay a pipeline on a labeled clip; per-rule precision, recall, F1, latency")
    p.add_argument("pipeline", help="pipeline YAML file")
    p.add_argument("--clip", required=True, help="the labeled video")
    p.add_argument("--truth", required=True, help="true events: synthetic .truth.json, or staff JSON / CSV")
    p.add_argument("--tolerance", type=arg_types.non_negative_float, default=DEFAULT_TOLERANCE_S,
                   help=f"seconds a predicted event may be off its true time (default {DEFAULT_TOLERANCE_S})")
    p.add_argument("--classes", help="only true events of these classes, comma-separated (e.g. muck_truck)")
    p.add_argument("--start", type=arg_types.non_negative_float, help="replay from this second of the clip")
    p.add_argument("--end", type=arg_types.positive_float, help="replay up to this second of the clip")
    p.add_argument("--out", help="keep the run's output folder here (default: a temporary folder)")
    p.add_argument("--pair", action="append", metavar="RULE=REGION",
                   help="score rule node RULE against the truth's region REGION (repeatable; RULE= pairs by name "
                        "only); default: a rule and a truth region of the same kind pair when there is one of each")
    p.add_argument("--json", action="store_true", help="the whole report, with every match, as JSON")
    _mlflow_options(p)
    p.set_defaults(func=cmd_eval_events)

    p = sub.add_parser("detection", help="mAP50, mAP50-95, per-class precision/recall of models on one dataset")
    p.add_argument("data", metavar="DATA_YAML", nargs="?",
                   help="YOLO dataset description (data.yaml); with --training, another dataset than the training's")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", action="append",
                       help="weights file or model-zoo id; repeat for each model (base first, then fine-tuned)")
    which.add_argument("--training", metavar="JOB_ID",
                       help="a finished training: its base model vs its best.pt on its dataset's val split, "
                            "recorded in the training's MLflow run")
    p.add_argument("--imgsz", type=arg_types.positive_int,
                   help="image size for validation (default 320; the training's with --training)")
    p.add_argument("--batch", type=arg_types.positive_int, default=8)
    p.add_argument("--split", default="val", help="dataset split to score (default val)")
    p.add_argument("--json", action="store_true")
    _mlflow_options(p)
    p.set_defaults(func=cmd_eval_detection, parser=p)
    return ev
