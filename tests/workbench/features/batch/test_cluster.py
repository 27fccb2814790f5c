"""A batch on a real two-node Ray cluster (1 CPU each) on 127.0.0.1: the clips run on both nodes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batch_support import PIPELINE, BatchClips, batch_event_counts, run_batch_cli, truth_counts
from services.ray_cluster import ray_cluster


@pytest.mark.slow
def test_cluster_batch_uses_both_nodes(batch_clips: BatchClips, tmp_path: Path) -> None:
    out = tmp_path / "out"
    sources = [str(v) for v in batch_clips.videos.values()] + [str(batch_clips.corrupt)]
    with ray_cluster(tmp_path / "ray-logs") as cluster:
        assert len(cluster.node_ids) == 2
        done = run_batch_cli([str(PIPELINE), *sources, "--out", str(out), "--ray-address", cluster.address,
                              "--retries", "0"], env=cluster.env)
    assert done.returncode == 1, done.stderr[-3000:]
    summary = json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))
    records = {c["clip"]: c for c in summary["clips"]}
    assert summary["ray_address"] == cluster.address
    assert set(summary["nodes"]) == set(cluster.node_ids)  # tasks ran on both nodes, and only there
    counts = batch_event_counts(out)
    for name, truth in batch_clips.truths.items():
        assert records[name]["status"] == "done", records[name]
        assert counts[name] == truth_counts(truth)
    assert records["broken"]["status"] == "failed" and records["broken"]["attempts"] == 1  # --retries 0
