"""`workbench batch PIPELINE SOURCES...`: a pool of Ray workers (the pipeline loaded once in each) runs the clips,
writing their results into one folder (wired by the lead).

    workbench batch pipelines/vehicle_count_line.yaml clips/*.mp4 --out runs/batch1 [--workers 2] [--retries 2]
    workbench batch my.yaml /mnt/footage/2026-11 --ray-address 10.0.0.5:6379 --out /mnt/shared/batch1
                                                            # a folder: all its videos; --out: shared by every node

Prints a progress bar over clips, then a table (clip, status, frames, fps, events, attempts, node, error).
Exit code 0 when every clip was processed, 1 when any failed (the others are kept) or on a user error.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from workbench.core import arg_types
from workbench.core.i18n import t


def _default_out() -> Path:
    from workbench.core.paths import workbench_home

    return workbench_home() / "batches" / datetime.now().strftime("%Y%m%d-%H%M%S")


def cmd_batch(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from workbench.features.batch.driver import BatchOptions, run_batch
    from workbench.features.batch.report import ClipRecord, table

    out = Path(args.out) if args.out else _default_out()
    bar: Any = None

    def clip_done(record: ClipRecord, done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit=t("cli.batch.unit"), disable=args.quiet, dynamic_ncols=True, file=sys.stderr)
        bar.update(done - bar.n)
        bar.set_postfix_str(f"{record.clip}: {t(f'cli.batch.status_{record.status}')}")

    def started(clips: int) -> None:
        if not args.quiet:
            print(t("cli.batch.starting", clips=clips, target=args.ray_address or t("cli.batch.local")),
                  file=sys.stderr)

    opts = BatchOptions(out_dir=out, ray_address=args.ray_address, workers=args.workers, retries=args.retries,
                        stride=args.stride, max_frames=args.max_frames, on_clip_done=clip_done, on_start=started)
    try:
        summary = run_batch(args.pipeline, args.sources, opts)
    finally:
        if bar is not None:
            bar.close()
    records = [ClipRecord(**c) for c in summary["clips"]]
    print(table(records))
    totals = summary["totals"]
    failed = sum(1 for r in records if r.status == "failed")
    print(t("cli.batch.done", done=totals.get("done", 0), failed=failed, clips=totals["clips"],
            seconds=summary["seconds"], out=str(out)))
    return 1 if failed else 0


def add_parsers(subparsers: Any) -> argparse.ArgumentParser:
    """Add `batch` to the main parser's subparsers."""
    p = subparsers.add_parser("batch", help="run a pipeline over many clips on Ray (local, or a cluster)")
    p.add_argument("pipeline", help="pipeline YAML file")
    p.add_argument("sources", nargs="*", help="video files or folders of videos (every node must see these paths)")
    p.add_argument("--ray-address", help="host:port of a Ray cluster's head (GCS); default: a private local Ray")
    p.add_argument("--out", help="result folder (default: <workbench home>/batches/<date-time>); the workers write "
                   "into it, so on a cluster of several machines it must be a shared folder at the same path on every "
                   "node")
    p.add_argument("--retries", type=arg_types.non_negative_int, default=2,
                   help="extra attempts for a failing clip (default 2)")
    p.add_argument("--workers", type=arg_types.positive_int,
                   help="workers, each running one clip at a time (default: local: CPU cores; cluster: its CPUs)")
    p.add_argument("--stride", type=arg_types.positive_int, help="process every Nth frame")
    p.add_argument("--max-frames", type=arg_types.positive_int, help="stop each clip after this many processed frames")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_batch)
    return p
