"""Reloading the cameras file of `workbench serve`: read it again, compare it with what runs, watch it for changes.

A reload is all or nothing: the new cameras file and its pipeline are read and every camera's pipeline is compiled
(without loading models) first; any problem refuses the whole reload and nothing that runs changes. Otherwise cameras
only in the new file start, cameras no longer in it stop (their files are kept), cameras whose entry changed (url,
site settings) restart, the others keep running untouched; a changed pipeline restarts every camera. A change of the
restart settings applies to the next restart, a change of `health_every_s` to the next table.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import t
from workbench.core.registry import BlockRegistry
from workbench.engine.spec import PipelineSpec, load_spec
from workbench.features.streams.camera_run import CameraRun
from workbench.features.streams.cameras import CameraEntry, RestartPolicy, ServeFile, check_cameras, load_serve_file
from workbench.media.health import SERVE_STATE_FILE, ServeState, now_iso


@dataclass(frozen=True)
class ServeFiles:
    """A cameras file as read, with its pipeline."""

    path: Path
    file: ServeFile
    spec: PipelineSpec

    @property
    def pipeline_path(self) -> Path:
        return self.path.parent / self.file.pipeline


def read_serve_files(path: Path, registry: BlockRegistry) -> ServeFiles:
    """Read the cameras file and its pipeline and check that every camera's pipeline compiles; else WorkbenchError."""
    file = load_serve_file(path)
    spec = load_spec(path.parent / file.pipeline)
    check_cameras(spec, registry, file.cameras)
    return ServeFiles(path, file, spec)


@dataclass
class ReloadPlan:
    """What a reload does, by camera id."""

    start: list[str] = field(default_factory=list)
    stop: list[str] = field(default_factory=list)
    restart: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # not empty: the reload was refused

    @property
    def applied(self) -> bool:
        return not self.problems

    def describe(self) -> dict[str, str]:
        """The ids of each list, joined (for the one line printed per reload)."""
        return {k: ", ".join(getattr(self, k)) or "-" for k in ("start", "stop", "restart", "keep")}


def plan_reload(running: list[CameraEntry], running_spec: PipelineSpec, new: ServeFiles) -> ReloadPlan:
    """Compare the cameras that run with the new file: which start, stop, restart, keep running."""
    old = {c.id: c for c in running}
    pipeline_changed = new.spec.to_dict() != running_spec.to_dict()
    plan = ReloadPlan(stop=[cid for cid in old if cid not in {c.id for c in new.file.cameras}])
    for cam in new.file.cameras:
        if cam.id not in old:
            plan.start.append(cam.id)
        elif pipeline_changed or old[cam.id] != cam:
            plan.restart.append(cam.id)
        else:
            plan.keep.append(cam.id)
    return plan


def refused(exc: WorkbenchError) -> ReloadPlan:
    return ReloadPlan(problems=list(exc.problems))


class FileWatch:
    """Tells when watched files changed on disk (modification time, size, inode), polled by the caller."""

    def __init__(self) -> None:
        self._stamps: dict[Path, tuple[int, int, int] | None] = {}

    @staticmethod
    def _stamp(path: Path) -> tuple[int, int, int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None  # a file being replaced may be missing for a moment: its return counts as a change
        return st.st_mtime_ns, st.st_size, st.st_ino

    def changed(self, paths: list[Path]) -> bool:
        """True when one of `paths` changed since the last call; a path seen for the first time is only recorded."""
        changed = False
        for path in paths:
            stamp = self._stamp(path)
            if path in self._stamps and self._stamps[path] != stamp:
                changed = True
            self._stamps[path] = stamp
        return changed


class ReloadMixin:
    """Server.reload(): read the cameras file again and apply it (see the module docstring)."""

    path: Path | None
    pipeline_path: Path | None
    spec: PipelineSpec
    registry: BlockRegistry
    runs: list[CameraRun]
    out_root: Path
    out_explicit: bool
    restart: RestartPolicy
    health_every_s: float
    state: ServeState

    def reload(self) -> ReloadPlan:
        """Read the cameras file again; apply it, or refuse it (nothing changes) and record why in serve.json."""
        assert self.path is not None, "reload() needs a server made from a cameras file"
        self.state.last_reload = now_iso()
        try:
            file = load_serve_file(self.path)
            self.pipeline_path = self.path.parent / file.pipeline  # watched from now on, also when it is broken
            new = read_serve_files(self.path, self.registry)
            out = new.path.parent / new.file.output
            if not self.out_explicit and out.resolve() != self.out_root.resolve():
                raise WorkbenchError([Problem("serve_reload_output", field="output",
                                              params={"old": str(self.out_root), "new": str(out)})])
        except WorkbenchError as exc:
            self.state.reload_error = [p.to_dict() for p in exc.problems]
            self.write_state()
            return refused(exc)
        plan = plan_reload([run.cam for run in self.runs], self.spec, new)
        self._apply(plan, new)
        self.state.reloads += 1
        self.state.reload_error, self.state.last_change = [], t("cli.serve.reloaded", **plan.describe())
        self.state.pipeline = str(new.pipeline_path)
        self.write_state()
        return plan

    def _apply(self, plan: ReloadPlan, new: ServeFiles) -> None:
        by_id = {run.cam.id: run for run in self.runs}
        self.stop_runs([by_id[cid] for cid in plan.stop + plan.restart])  # type: ignore[attr-defined]
        self.spec, self.restart, self.health_every_s = new.spec, new.file.restart, new.file.health_every_s
        runs = []
        for cam in new.file.cameras:
            if cam.id in plan.keep:
                runs.append(by_id[cam.id])
            else:
                run = CameraRun(cam, self.out_root / cam.id)
                self._launch(run)  # type: ignore[attr-defined]
                runs.append(run)
        self.runs = runs

    def watched_files(self) -> list[Path]:
        """The cameras file and the pipeline file it names (as last read)."""
        return [p for p in (self.path, self.pipeline_path) if p is not None]

    def write_state(self) -> None:
        with contextlib.suppress(OSError):
            self.state.write(self.out_root / SERVE_STATE_FILE)
