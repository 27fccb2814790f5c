"""One batch worker (`ClipWorker`, here a plain object: no Ray): the pipeline loaded once for many clips, each clip's
block state its own, results written straight into <out>/<clip>/, a failing clip leaves the worker usable; the
output-folder check a worker makes at start."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from batch_support import PIPELINE, BatchClips, truth_counts

from workbench.core.registry import default_registry
from workbench.engine.spec import load_spec
from workbench.features.batch.task import CHECK_FILE, ClipFailed, ClipWorker, check_out


def _count_loads(monkeypatch: pytest.MonkeyPatch, spec: Any) -> Counter:
    """Every block type of the pipeline counts its load() calls."""
    loads: Counter = Counter()
    registry = default_registry()

    def counting(type_id: str, load: Callable[[Any], None]) -> Callable[[Any], None]:
        def wrapped(self: Any) -> None:
            loads[type_id] += 1
            load(self)
        return wrapped

    for type_id in {n.type for n in spec.nodes}:
        cls = registry.get(type_id)
        monkeypatch.setattr(cls, "load", counting(type_id, cls.load))
    return loads


def _counts(events: list[dict[str, Any]]) -> Counter:
    return Counter((e["type"], e["region"], e["direction"]) for e in events)


def test_a_worker_loads_the_pipeline_once_and_keeps_every_clips_state_apart(
        batch_clips: BatchClips, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load_spec(PIPELINE)
    loads = _count_loads(monkeypatch, spec)
    out = tmp_path / "out"
    out.mkdir()
    worker = ClipWorker(spec.to_dict(), str(out))
    first = worker.run(str(batch_clips.videos["traffic"]), "traffic")
    (out / "street").mkdir()
    (out / "street" / "stale.txt").write_text("from an earlier attempt", encoding="utf-8")
    with pytest.raises(ClipFailed) as failed:  # a bad file fails its clip only
        worker.run(str(batch_clips.corrupt), "broken")
    assert failed.value.info["problems"][0]["code"] == "source_not_video"
    second = worker.run(str(batch_clips.videos["street"]), "street")

    source_type = spec.nodes[0].type
    assert loads[source_type] == 3  # each clip builds its own source block
    assert all(n == 1 for t, n in loads.items() if t != source_type), loads  # every other block: once per worker
    for name, result in (("traffic", first), ("street", second)):
        folder = out / name
        assert result["summary"]["status"] == "done" and result["summary"]["frames"] == 200
        assert _counts(result["events"]) == truth_counts(batch_clips.truths[name])  # no tracks carried over
        assert json.loads((folder / "summary.json").read_text(encoding="utf-8"))["camera"] == name
        assert len((folder / "events.jsonl").read_text(encoding="utf-8").splitlines()) == len(result["events"])
        assert (folder / "annotated.mp4").stat().st_size > 0
    assert not (out / "street" / "stale.txt").exists()  # a retried clip starts from an empty folder
    assert "files" not in first  # results stay in the folder; only the summary and events travel back


def test_the_output_folder_check_needs_the_drivers_token_and_a_writable_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert CHECK_FILE in check_out(out, "abc")  # not there at all (e.g. not mounted on this node)
    assert not out.exists()  # never created by the check: that would hide a missing mount
    out.mkdir()
    (out / CHECK_FILE).write_text("other", encoding="utf-8")
    assert "another folder" in check_out(out, "abc")  # a folder of the same name, but not the driver's
    (out / CHECK_FILE).write_text("abc", encoding="utf-8")
    assert check_out(out, "abc") == ""
    assert sorted(p.name for p in out.iterdir()) == [CHECK_FILE]  # the write test cleaned up after itself
