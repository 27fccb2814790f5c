"""Frames of several cameras go through one model call; each camera gets its own result, nobody waits unbounded."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from workbench.models.batching import Batcher, Seat


def _doubler(calls: list[list[int]], seconds: float = 0.01):
    """A model call that takes `seconds` (as a model does) and doubles every item."""

    def infer(items):
        calls.append(list(items))
        time.sleep(seconds)
        return [2 * i for i in items]

    return infer


def _cameras(seats: list[Seat], items: list[list[int]], pause: Callable[[int, int], float] = lambda k, i: 0.0,
             ) -> tuple[list[list[int]], list[list[float]]]:
    """Each seat in its own thread sends its items one after another (as a camera sends frames), then leaves; the
    results and the seconds each call took, per camera."""
    results: list[list[int]] = [[] for _ in seats]
    took: list[list[float]] = [[] for _ in seats]
    start = threading.Barrier(len(seats))

    def camera(k: int) -> None:
        start.wait()
        for i, item in enumerate(items[k]):
            time.sleep(pause(k, i))
            began = time.monotonic()
            results[k].append(seats[k](item))
            took[k].append(time.monotonic() - began)
        seats[k].leave()

    threads = [threading.Thread(target=camera, args=(k,)) for k in range(len(seats))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    return results, took


def test_three_cameras_share_calls_and_each_gets_its_own_results():
    calls: list[list[int]] = []
    batcher = Batcher(_doubler(calls), max_batch=8, max_wait_s=5.0)
    seats = [batcher.join() for _ in range(3)]
    items = [[100 * k + i for i in range(6)] for k in range(3)]
    began = time.monotonic()
    results, _ = _cameras(seats, items)
    assert results == [[2 * i for i in camera] for camera in items]
    assert time.monotonic() - began < 3.0  # nobody waited the whole 5 s: the others' frames came, or they left
    assert batcher.items == 18 and max(batcher.sizes) == 3 and batcher.sizes[3] >= 4, batcher.sizes
    assert all(len({i // 100 for i in call}) == len(call) for call in calls)  # one frame per camera per call
    assert batcher.streams == 0


def test_a_single_camera_never_waits():
    batcher = Batcher(_doubler([]), max_wait_s=5.0)
    seat = batcher.join()
    began = time.monotonic()
    assert [seat(i) for i in range(20)] == [2 * i for i in range(20)]
    assert time.monotonic() - began < 1.0
    assert batcher.sizes == {1: 20}


def test_frames_arriving_while_the_model_is_busy_go_together_in_the_next_call():
    running, most = [0], [0]
    lock = threading.Lock()

    def slow(items):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.3)
        with lock:
            running[0] -= 1
        return [2 * i for i in items]

    batcher = Batcher(slow, max_batch=8, max_wait_s=0.0)  # never waits for other cameras
    first = batcher.join()
    threading.Timer(0.1, lambda: _cameras([batcher.join() for _ in range(3)], [[1], [2], [3]])).start()
    assert first(0) == 0
    time.sleep(0.6)
    assert batcher.sizes == {1: 1, 3: 1} and most[0] == 1


def test_a_camera_still_connecting_is_not_waited_for():
    batcher = Batcher(_doubler([]), max_wait_s=5.0)
    live, _connecting = batcher.join(), batcher.join()  # the second camera has not sent its first frame yet
    began = time.monotonic()
    assert [live(i) for i in range(5)] == [0, 2, 4, 6, 8]
    assert time.monotonic() - began < 1.0


def test_a_stalled_camera_holds_the_others_back_no_longer_than_the_wait_then_not_at_all():
    batcher = Batcher(_doubler([]), max_wait_s=0.3, idle_s=1.0)
    live, stalled = batcher.join(), batcher.join()
    # the second camera sends 3 frames, then nothing for 3 s (a camera reconnecting), then leaves
    results, took = _cameras([live, stalled], [list(range(40)), [1, 2, 3]],
                             pause=lambda k, i: 0.05 if k == 0 else (3.0 if i == 2 else 0.0))
    assert results == [[2 * i for i in range(40)], [2, 4, 6]]
    waits = took[0]
    assert max(waits) < 0.3 + 0.25  # never longer than the wait (plus scheduling on a busy machine)
    assert sum(w >= 0.25 for w in waits) >= 1  # it did wait for the stalled camera's frame at first ...
    assert max(waits[-10:]) < 0.1  # ... and not once the camera had been silent for idle_s


def test_a_camera_leaving_releases_the_waiting_one():
    batcher = Batcher(_doubler([]), max_wait_s=30.0)
    first, second = batcher.join(), batcher.join()
    _cameras([first, second], [[1], [2]])  # both sent a frame (and left)
    first, second = batcher.join(), batcher.join()
    second.last_sent = time.monotonic()  # as if it had just sent one
    threading.Timer(0.2, second.leave).start()
    began = time.monotonic()
    assert first(1) == 2
    assert time.monotonic() - began < 5.0
    second.leave()  # leaving twice is harmless
    assert batcher.streams == 1


def test_more_frames_than_a_batch_are_split_and_all_answered():
    calls: list[list[int]] = []
    batcher = Batcher(_doubler(calls), max_batch=2, max_wait_s=1.0)
    seats = [batcher.join() for _ in range(5)]
    items = [[10 * k + i for i in range(4)] for k in range(5)]
    results, _ = _cameras(seats, items)
    assert results == [[2 * i for i in camera] for camera in items]
    assert all(len(c) <= 2 for c in calls)
    assert sorted(i for c in calls for i in c) == sorted(i for camera in items for i in camera)
    assert batcher.sizes[2] >= 5


def test_a_bad_frame_fails_only_its_own_camera():
    calls: list[list[int]] = []

    def picky(items):
        calls.append(list(items))
        time.sleep(0.01)
        if -1 in items:
            raise ValueError("cannot read this frame")
        return [2 * i for i in items]

    batcher = Batcher(picky, max_batch=8, max_wait_s=1.0)
    seats = [batcher.join() for _ in range(3)]
    outcome: list[str] = ["", "", ""]
    start = threading.Barrier(3)

    def camera(k: int) -> None:
        start.wait()
        for item in ([1, 2, 3], [4, -1, 6], [7, 8, 9])[k]:
            try:
                outcome[k] += f"{seats[k](item)} "
            except ValueError as exc:
                outcome[k] += f"[{exc}] "
        seats[k].leave()

    threads = [threading.Thread(target=camera, args=(k,)) for k in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert outcome == ["2 4 6 ", "8 [cannot read this frame] 12 ", "14 16 18 "]
    assert any(len(c) > 1 and -1 in c for c in calls)  # the shared call failed, then each frame was tried alone


def test_a_failing_model_call_reaches_every_camera_in_the_batch():
    def broken(items):
        raise RuntimeError("model crashed")

    batcher = Batcher(broken, max_wait_s=1.0)
    seats = [batcher.join() for _ in range(2)]
    errors: list[str] = []

    def camera(seat) -> None:
        with pytest.raises(RuntimeError, match="model crashed") as exc:
            seat(1)
        errors.append(str(exc.value))

    threads = [threading.Thread(target=camera, args=(seat,)) for seat in seats]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    assert errors == ["model crashed", "model crashed"]
    assert batcher.batches == 0
