"""One model call for the frames of many cameras: `Batcher` gathers single requests from the threads of `workbench
serve` (one thread per camera) and runs them as one batch.

Leader/follower, no thread of its own: the first caller to find no batch being gathered becomes the leader. It waits
until every stream that is feeding the model has a frame waiting, the batch is full, or `max_wait_s` has passed
(bounded: a stalled camera never holds the others back for longer), then runs the batch and hands each caller its own
result. At most `concurrency` calls run at once (default 1: on a CPU one call already uses every core): frames that
arrive while the model is busy gather for the next call, so batches fill by themselves under load. Streams take a
seat with `join()` and submit through it; a stream counts as feeding the model once it has sent a frame, and no
longer when it has sent none for `idle_s` (a camera reconnecting, or still connecting, is not waited for at all) or
has left. A single stream never waits. Results are matched to callers by position: per-stream state stays with the
callers, only the call is shared.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass
class _Request(Generic[In, Out]):
    item: In
    done: threading.Event = field(default_factory=threading.Event)
    result: Out | None = None
    error: BaseException | None = None


class Seat(Generic[In, Out]):
    """One stream's place at a `Batcher`: call it with an item for that item's result; `leave()` when the stream
    ends (leaving twice is harmless)."""

    def __init__(self, batcher: Batcher[In, Out]) -> None:
        self._batcher = batcher
        self.last_sent = float("-inf")  # monotonic time of the stream's latest request
        self.left = False

    def __call__(self, item: In) -> Out:
        return self._batcher.submit(item, self)

    def leave(self) -> None:
        self._batcher.release(self)


class Batcher(Generic[In, Out]):
    """Run `infer` on batches of up to `max_batch` items submitted from many threads (calls block)."""

    def __init__(self, infer: Callable[[Sequence[In]], Sequence[Out]], max_batch: int = 8,
                 max_wait_s: float = 0.02, idle_s: float = 1.0, concurrency: int = 1) -> None:
        if max_batch < 1 or max_wait_s < 0 or idle_s <= 0 or concurrency < 1:
            raise ValueError("max_batch and concurrency must be at least 1, max_wait_s not negative, idle_s positive")
        self._infer = infer
        self.max_batch, self.max_wait_s, self.idle_s = max_batch, max_wait_s, idle_s
        self.concurrency = concurrency  # calls running at once; frames arriving meanwhile gather for the next one
        self._running = 0
        self._cond = threading.Condition()
        self._pending: list[_Request[In, Out]] = []
        self._gathering = False
        self._seats: set[Seat[In, Out]] = set()
        self.batches = 0  # calls made, the items they carried and how many calls carried n items: for benchmarks
        self.items = 0
        self.sizes: Counter[int] = Counter()

    # -- streams come and go -------------------------------------------------------------------------------------------
    def join(self) -> Seat[In, Out]:
        """A stream starts using the model: its seat (the leader waits for its frames while it sends them)."""
        seat: Seat[In, Out] = Seat(self)
        with self._cond:
            self._seats.add(seat)
        return seat

    def release(self, seat: Seat[In, Out]) -> None:
        """A stream stops using the model; a leader waiting for its frame stops waiting."""
        with self._cond:
            seat.left = True
            self._seats.discard(seat)
            self._cond.notify_all()

    @property
    def streams(self) -> int:
        """Seats taken (streams joined and not left)."""
        with self._cond:
            return len(self._seats)

    # -- requests ------------------------------------------------------------------------------------------------------
    def __call__(self, item: In) -> Out:
        """Submit without a seat (the leader does not wait for such a caller's next item)."""
        return self.submit(item, None)

    def submit(self, item: In, seat: Seat[In, Out] | None) -> Out:
        request: _Request[In, Out] = _Request(item)
        with self._cond:
            if seat is not None:
                seat.last_sent = time.monotonic()
            self._pending.append(request)
            self._cond.notify_all()
            lead = not self._gathering
            if lead:
                self._gathering = True
        if lead:
            self._lead()
        request.done.wait()
        if request.error is not None:
            raise request.error
        return request.result  # type: ignore[return-value]

    def _feeding(self, now: float) -> int:
        """Streams expected to send a frame soon: seated, and sent one within `idle_s`."""
        return sum(1 for s in self._seats if now - s.last_sent <= self.idle_s)

    def _lead(self) -> None:
        deadline = time.monotonic() + self.max_wait_s
        with self._cond:
            while True:
                now = time.monotonic()
                free = self._running < self.concurrency
                ready = len(self._pending) >= min(self.max_batch, max(self._feeding(now), 1)) or now >= deadline
                if free and ready:
                    break
                self._cond.wait(deadline - now if free else None)  # busy: the running call's end wakes us
            batch, self._pending = self._pending[:self.max_batch], self._pending[self.max_batch:]
            overflow = self._gathering = bool(self._pending)  # what did not fit: the next leader gathers it
            self._running += 1
        if overflow:
            threading.Thread(target=self._lead, daemon=True).start()
        self._run(batch)

    def _run(self, batch: list[_Request[In, Out]]) -> None:
        try:
            self._answer(batch)
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    def _answer(self, batch: list[_Request[In, Out]]) -> None:
        """Every request of the batch gets its result or its error; when the shared call fails, each item is tried
        on its own, so one bad frame fails only its own caller."""
        try:
            results = self._call(batch)
        except BaseException as exc:
            if len(batch) > 1 and isinstance(exc, Exception):
                for request in batch:
                    self._answer([request])
                return
            for r in batch:  # nobody waits forever
                r.error = exc
                r.done.set()
            return
        for r, out in zip(batch, results, strict=True):
            r.result = out
            r.done.set()

    def _call(self, batch: list[_Request[In, Out]]) -> list[Out]:
        results = list(self._infer([r.item for r in batch]))
        if len(results) != len(batch):
            raise RuntimeError(f"the model returned {len(results)} results for {len(batch)} frames")
        with self._cond:
            self.batches += 1
            self.items += len(batch)
            self.sizes[len(batch)] += 1
        return results
