"""Batch runs on Ray: one pipeline over many clips, one Ray task per clip, results gathered into one folder.

    from workbench.batch import BatchOptions, run_batch
    summary = run_batch("pipelines/vehicle_count_line.yaml", ["clips/"], BatchOptions(out_dir=Path("out")))

CLI: `workbench batch` (workbench/batch/cli_batch.py); `python -m workbench.batch ...` runs the same command.
"""

from workbench.batch.driver import BatchOptions, run_batch
from workbench.batch.report import ClipRecord

__all__ = ["BatchOptions", "ClipRecord", "run_batch"]
