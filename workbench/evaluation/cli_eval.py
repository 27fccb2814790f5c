"""`workbench eval events|detection`: subcommands for workbench/cli.py (the lead wires `add_parser` in).

    workbench eval events PIPELINE --clip CLIP --truth TRUTH.json [--tolerance S] [--classes A,B] [--json]
    workbench eval detection DATA_YAML --model A --model B [--imgsz N] [--split val] [--json]

Both print a table (or the whole report as JSON with --json) and exit 0; user errors raise WorkbenchError, which the
main CLI prints without a traceback (exit 1).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

from workbench.evaluation.replay import DEFAULT_TOLERANCE_S


def _classes(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [c.strip() for c in text.split(",") if c.strip()] or None


def cmd_eval_events(args: argparse.Namespace) -> int:
    from workbench.evaluation.replay import replay

    with contextlib.redirect_stdout(sys.stderr):  # libraries' chatter must not spoil --json on stdout
        report = replay(args.pipeline, args.clip, args.truth, tolerance_s=args.tolerance,
                        classes=_classes(args.classes), start=args.start, end=args.end, out_dir=args.out)
    print(report.to_json() if args.json else report.format_text())
    return 0


def cmd_eval_detection(args: argparse.Namespace) -> int:
    from workbench.evaluation.detection import compare_models

    with contextlib.redirect_stdout(sys.stderr):
        comparison = compare_models(args.data, args.model, imgsz=args.imgsz, batch=args.batch, split=args.split)
    if args.json:
        import json

        print(json.dumps(comparison.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(comparison.format_text())
    return 0


def add_parsers(subparsers: Any) -> argparse.ArgumentParser:
    """Add `eval` with its subcommands `events` and `detection` to the main parser's subparsers."""
    ev = subparsers.add_parser("eval", help="score a pipeline's events or compare detectors on labeled data")
    sub = ev.add_subparsers(dest="eval_command", required=True)

    p = sub.add_parser("events", help="replay a pipeline on a labeled clip; per-rule precision, recall, F1, latency")
    p.add_argument("pipeline", help="pipeline YAML file")
    p.add_argument("--clip", required=True, help="the labeled video")
    p.add_argument("--truth", required=True, help="true events: synthetic .truth.json, or staff JSON / CSV")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE_S,
                   help=f"seconds a predicted event may be off its true time (default {DEFAULT_TOLERANCE_S})")
    p.add_argument("--classes", help="only true events of these classes, comma-separated (e.g. muck_truck)")
    p.add_argument("--start", type=float, help="replay from this second of the clip")
    p.add_argument("--end", type=float, help="replay up to this second of the clip")
    p.add_argument("--out", help="keep the run's output folder here (default: a temporary folder)")
    p.add_argument("--json", action="store_true", help="the whole report, with every match, as JSON")
    p.set_defaults(func=cmd_eval_events)

    p = sub.add_parser("detection", help="mAP50, mAP50-95, per-class precision/recall of models on one dataset")
    p.add_argument("data", metavar="DATA_YAML", help="YOLO dataset description (data.yaml)")
    p.add_argument("--model", action="append", required=True,
                   help="weights file or model-zoo id; repeat for each model (base first, then fine-tuned)")
    p.add_argument("--imgsz", type=int, default=320, help="image size for validation (default 320)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--split", default="val", help="dataset split to score (default val)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval_detection)
    return ev
