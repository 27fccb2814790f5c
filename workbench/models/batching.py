"""One model call for the frames of many cameras: `Batcher` gathers single requests from the threads of `workbench
serve` (one thread per camera) and runs them as one batch.

Leader/follower, no thread of its own: the first caller to find no batch being gathered becomes the leader. It waits
until every stream that is using the model has a frame waiting, the batch is full, or `max_wait_s` has passed
(bounded: a stalled camera never holds the others back for longer), then runs the batch and hands each caller its own
result. A single stream never waits. Results are matched to callers by position: per-stream state stays with the
callers, only the call is shared.
"""

from __future__ import annotations

import threading
import time
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


class Batcher(Generic[In, Out]):
    """Run `infer` on batches of up to `max_batch` items submitted from many threads (`__call__` blocks)."""

    def __init__(self, infer: Callable[[Sequence[In]], Sequence[Out]], max_batch: int = 8,
                 max_wait_s: float = 0.02) -> None:
        if max_batch < 1 or max_wait_s < 0:
            raise ValueError("max_batch must be at least 1 and max_wait_s not negative")
        self._infer = infer
        self.max_batch, self.max_wait_s = max_batch, max_wait_s
        self._cond = threading.Condition()
        self._pending: list[_Request[In, Out]] = []
        self._gathering = False
        self._streams = 0
        self.batches = 0  # calls made, and items they carried: for benchmarks and tests
        self.items = 0

    # -- streams come and go -------------------------------------------------------------------------------------------
    def join(self) -> None:
        """A stream starts using the model (the leader waits for its frame too)."""
        with self._cond:
            self._streams += 1

    def leave(self) -> None:
        """A stream stops using the model; a leader waiting for its frame stops waiting."""
        with self._cond:
            self._streams = max(0, self._streams - 1)
            self._cond.notify_all()

    # -- requests ------------------------------------------------------------------------------------------------------
    def __call__(self, item: In) -> Out:
        request: _Request[In, Out] = _Request(item)
        with self._cond:
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

    def _lead(self) -> None:
        deadline = time.monotonic() + self.max_wait_s
        with self._cond:
            while len(self._pending) < min(self.max_batch, max(self._streams, 1)):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            batch, self._pending = self._pending[:self.max_batch], self._pending[self.max_batch:]
            self._gathering = bool(self._pending)  # what did not fit: the next leader is the first of them
        if self._pending:
            threading.Thread(target=self._lead, daemon=True).start()
        self._run(batch)

    def _run(self, batch: list[_Request[In, Out]]) -> None:
        try:
            results = list(self._infer([r.item for r in batch]))
            if len(results) != len(batch):
                raise RuntimeError(f"the model returned {len(results)} results for {len(batch)} frames")
        except BaseException as exc:  # every caller of the batch gets the failure, none waits forever
            for r in batch:
                r.error = exc
                r.done.set()
            return
        self.batches += 1
        self.items += len(batch)
        for r, out in zip(batch, results, strict=True):
            r.result = out
            r.done.set()
