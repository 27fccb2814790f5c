"""A batch's workers run at normal priority (Ray would start them at nice 15, so anything else on the machine took
their CPU time while a plain `workbench run` kept its share)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.features.batch.cluster import ray_session


@pytest.mark.slow
def test_local_ray_workers_run_at_the_callers_priority(short_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(short_tmp))
    monkeypatch.delenv("RAY_worker_niceness", raising=False)

    def niceness() -> int:  # defined here: shipped to the worker by value
        import os

        return os.getpriority(os.PRIO_PROCESS, 0)

    with ray_session(None, 1) as ray:
        assert ray.get(ray.remote(niceness).options(num_cpus=1).remote(), timeout=120) == niceness() == 0
    assert "RAY_worker_niceness" not in os.environ  # set for the batch's Ray only
