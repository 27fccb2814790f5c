"""The embedded MLflow store: several processes opening a brand-new sqlite store at once all succeed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

OPEN_STORE = """
import sys, time
from workbench.features.training.tracking import client
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.001)
c = client(sys.argv[1])
c.search_experiments()
c.search_registered_models()
print("opened")
"""


def test_processes_opening_a_new_sqlite_store_at_once_all_succeed(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    start = time.time() + 8  # every process has imported MLflow by then; then they open the store together
    procs = [subprocess.Popen([sys.executable, "-c", OPEN_STORE, uri, str(start)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [p.communicate(timeout=120) for p in procs]
    for (out, err), proc in zip(results, procs, strict=True):
        assert proc.returncode == 0 and "opened" in out, err[-2000:]
