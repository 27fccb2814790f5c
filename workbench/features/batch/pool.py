"""The batch's workers: a pool of `ClipWorker` Ray actors, each given the next clip as soon as it is free.

Each actor holds one CPU and runs one clip at a time, so a slow clip holds back only its own worker. Every actor first
proves it sees and can write the output folder (`ClipWorker.check`); one that cannot stops the batch with an error
naming the folder. An actor that dies (killed, out of memory, a crash in a native library) is replaced by a new one
and the clip it was running counts as a failed attempt, retried like any other (the driver counts attempts itself;
Ray's own restarts and task retries are off, so it never reruns a clip behind the driver's back).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem, WorkbenchError
from workbench.features.batch.task import ClipFailed, ClipWorker

START_FAILURES_PER_WORKER = 2  # actors that die before their check, per worker of the pool, before the batch gives up


@dataclass
class _Slot:
    actor: Any
    checked: bool = False
    busy: bool = False


@dataclass(frozen=True)
class Outcome:
    """A clip's attempt: `result` from the worker, or `failure` (problems, node, pid, seconds) when it failed."""

    clip: int
    result: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None


class WorkerPool:
    """`size` ClipWorker actors on `ray`; `submit` a clip to an `idle()` worker, `next_outcome()` waits for one."""

    def __init__(self, ray: Any, size: int, worker_args: tuple, token: str, out: Path):
        self.ray, self.worker_args, self.token, self.out = ray, worker_args, token, out
        self.actor_class = ray.remote(ClipWorker).options(num_cpus=1, max_restarts=0, max_task_retries=0,
                                                          scheduling_strategy="SPREAD")
        self.slots: list[_Slot] = []
        self.calls: dict[Any, tuple[int, int | None]] = {}  # call -> (slot, clip index; None for the start check)
        self.replaced = 0
        self.start_failures = 0
        self.size = size
        for slot in range(size):
            self.slots.append(_Slot(actor=None))
            self._start(slot)

    def _start(self, slot: int) -> None:
        actor = self.actor_class.remote(*self.worker_args)
        self.slots[slot] = _Slot(actor=actor)
        self.calls[actor.check.remote(self.token)] = (slot, None)

    def idle(self) -> list[int]:
        return [i for i, s in enumerate(self.slots) if s.checked and not s.busy]

    def running(self) -> dict[int, int]:
        """clip index -> slot of every clip being processed now."""
        return {clip: slot for slot, clip in self.calls.values() if clip is not None}

    def submit(self, slot: int, clip: int, source: str, name: str) -> None:
        self.slots[slot].busy = True
        self.calls[self.slots[slot].actor.run.remote(source, name)] = (slot, clip)

    def next_outcome(self) -> Outcome | None:
        """The next clip to finish, or None when a worker passed its start check (the driver may give it a clip)."""
        while True:
            ready, _ = self.ray.wait(list(self.calls), num_returns=1)
            slot, clip = self.calls.pop(ready[0])
            if clip is None:
                if self._checked(slot, ready[0]):
                    return None
                continue
            self.slots[slot].busy = False
            return self._outcome(slot, clip, ready[0])

    def _outcome(self, slot: int, clip: int, call: Any) -> Outcome:
        from ray.exceptions import RayError, RayTaskError

        try:
            return Outcome(clip=clip, result=self.ray.get(call))
        except RayTaskError as exc:  # the clip failed; the worker is fine
            cause = exc.cause if isinstance(getattr(exc, "cause", None), ClipFailed) else None
            return Outcome(clip=clip, failure=cause.info if cause else _problem("block_crashed", detail=_detail(exc)))
        except RayError as exc:  # the worker died with the clip: a new worker takes its place
            self._replace(slot)
            return Outcome(clip=clip, failure=_problem("batch_worker_lost", detail=_detail(exc)))

    def _checked(self, slot: int, call: Any) -> bool:
        """True when the worker passed its start check; a worker that died before it is replaced."""
        from ray.exceptions import RayError

        try:
            info = self.ray.get(call)
        except RayError as exc:  # the worker could not start (e.g. the workbench is missing on its node)
            self.start_failures += 1
            if self.start_failures > START_FAILURES_PER_WORKER * self.size:
                raise WorkbenchError([Problem("batch_worker_start_failed",
                                              params={"detail": _detail(exc)})]) from None
            self._replace(slot)
            return False
        if info["problem"]:
            raise WorkbenchError([Problem("batch_out_not_shared", field="--out", params={
                "path": str(self.out), "node": info["node_id"][:8] or "?", "detail": info["problem"]})])
        self.slots[slot].checked = True
        return True

    def _replace(self, slot: int) -> None:
        with contextlib.suppress(Exception):
            self.ray.kill(self.slots[slot].actor, no_restart=True)
        self.replaced += 1
        self._start(slot)

    def stop(self) -> None:
        """Kill every worker now (a stopped batch): what they were writing stays as it is."""
        for s in self.slots:
            with contextlib.suppress(Exception):
                self.ray.kill(s.actor, no_restart=True)
        self.calls.clear()


def _problem(code: str, **params: str) -> dict[str, Any]:
    """A failed attempt's info (as `ClipFailed.info`) with one problem."""
    return {"problems": [{"code": code, "params": params}]}


def _detail(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
