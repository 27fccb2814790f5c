"""Frames of several cameras go through one model call; each camera gets its own result, nobody waits unbounded."""

from __future__ import annotations

import threading
import time

import pytest

from workbench.models.batching import Batcher


def _doubler(calls: list[list[int]]):
    def infer(items):
        calls.append(list(items))
        return [2 * i for i in items]

    return infer


def _submit_together(batcher: Batcher, items: list[int]) -> list[int]:
    results: list[int | None] = [None] * len(items)
    start = threading.Barrier(len(items))

    def camera(k: int) -> None:
        start.wait()
        results[k] = batcher(items[k])

    threads = [threading.Thread(target=camera, args=(k,)) for k in range(len(items))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    return results  # type: ignore[return-value]


def test_three_cameras_share_one_call_and_each_gets_its_own_result():
    calls: list[list[int]] = []
    batcher = Batcher(_doubler(calls), max_batch=8, max_wait_s=2.0)
    for _ in range(3):
        batcher.join()
    assert _submit_together(batcher, [1, 2, 3]) == [2, 4, 6]
    assert len(calls) == 1 and sorted(calls[0]) == [1, 2, 3]
    assert (batcher.batches, batcher.items) == (1, 3)


def test_a_single_camera_never_waits():
    batcher = Batcher(_doubler([]), max_wait_s=5.0)
    batcher.join()
    began = time.monotonic()
    assert [batcher(i) for i in range(20)] == [2 * i for i in range(20)]
    assert time.monotonic() - began < 1.0


def test_a_stalled_camera_holds_the_others_back_no_longer_than_the_wait():
    batcher = Batcher(_doubler([]), max_wait_s=0.3)
    batcher.join()
    batcher.join()  # the second camera never sends a frame
    began = time.monotonic()
    assert batcher(5) == 10
    assert 0.25 <= time.monotonic() - began < 2.0


def test_a_camera_leaving_releases_the_waiting_one():
    batcher = Batcher(_doubler([]), max_wait_s=30.0)
    batcher.join()
    batcher.join()
    threading.Timer(0.2, batcher.leave).start()
    began = time.monotonic()
    assert batcher(1) == 2
    assert time.monotonic() - began < 5.0


def test_more_frames_than_a_batch_are_split_and_all_answered():
    calls: list[list[int]] = []
    batcher = Batcher(_doubler(calls), max_batch=2, max_wait_s=1.0)
    for _ in range(5):
        batcher.join()
    assert _submit_together(batcher, [1, 2, 3, 4, 5]) == [2, 4, 6, 8, 10]
    assert all(len(c) <= 2 for c in calls) and sorted(i for c in calls for i in c) == [1, 2, 3, 4, 5]


def test_a_failing_model_call_reaches_every_camera_in_the_batch():
    def broken(items):
        raise RuntimeError("model crashed")

    batcher = Batcher(broken, max_wait_s=1.0)
    for _ in range(2):
        batcher.join()
    errors: list[str] = []

    def camera() -> None:
        with pytest.raises(RuntimeError, match="model crashed") as exc:
            batcher(1)
        errors.append(str(exc.value))

    threads = [threading.Thread(target=camera) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    assert errors == ["model crashed", "model crashed"]
