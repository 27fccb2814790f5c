"""Batch runs on Ray: one pipeline over many clips on a pool of Ray workers (each loads the pipeline once), every
clip's results written into one folder.

    from workbench.features.batch import BatchOptions, run_batch
    summary = run_batch("pipelines/vehicle_count_line.yaml", ["clips/"], BatchOptions(out_dir=Path("out")))

CLI: `workbench batch` (workbench/features/batch/cli_batch.py); `python -m workbench.features.batch ...` runs the same
command.
"""

from workbench.features.batch.driver import BatchOptions, run_batch
from workbench.features.batch.report import ClipRecord

__all__ = ["BatchOptions", "ClipRecord", "run_batch"]
