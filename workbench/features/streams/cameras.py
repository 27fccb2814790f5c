"""The cameras file of `workbench serve` and the pipeline each camera runs.

    pipeline: pipelines/vehicle_count_line.yaml   # relative to this file
    output: serve-output                          # one folder per camera under it (--out overrides)
    restart: {initial_s: 1, max_s: 60, reset_after_s: 60}   # optional: restarting a camera whose pipeline failed
    cameras:
      - id: gate-1
        url: rtsp://user:password@10.0.0.5/stream1
        site: {count_line: {start: [320, 140], end: [320, 265]}}   # optional: settings per node for this camera

The pipeline's source node becomes a `sources/stream@v1` reading the camera's URL (a stream source keeps its other
settings), with the camera id as the events' `source`; then the camera's site settings are applied.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workbench.core.block import SourceBlock
from workbench.core.config_checks import not_below
from workbench.core.errors import PipelineInvalid, Problem, WorkbenchError
from workbench.core.registry import BlockRegistry, default_registry
from workbench.core.safe_yaml import YamlSyntaxError, load_yaml_text
from workbench.engine.graph import compile_pipeline
from workbench.engine.spec import PipelineSpec, parse_spec

STREAM_TYPE = "sources/stream@v1"


class CameraEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(..., pattern=r"^[^/\\\s]+$", max_length=100, description="Camera id: folder name and event tag")
    url: str = Field(..., min_length=1, description="Stream URL (or a video file played as a stream)")
    site: dict[str, dict[str, Any]] = Field({}, description="Settings per node id for this camera")

    @field_validator("id")
    @classmethod
    def _not_dots(cls, value: str) -> str:
        if value in (".", ".."):
            raise ValueError("a camera id cannot be . or ..")
        return value


class RestartPolicy(BaseModel):
    """When `workbench serve` restarts a camera whose pipeline failed (a block crash, a model failing to load)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = Field(True, description="Restart a camera whose pipeline failed (off: it stays in error until "
                          "serve is restarted)")
    initial_s: float = Field(1.0, gt=0, le=3600, description="Wait before the first restart after a failure (s)")
    max_s: float = Field(60.0, gt=0, le=86400, description="Longest wait between restarts (s)")
    factor: float = Field(2.0, ge=1, le=10, description="Each failure that follows soon after a restart multiplies "
                          "the wait by this")
    reset_after_s: float = Field(60.0, gt=0, description="A run that lasted this long before failing counts as "
                                 "healthy: the next wait is initial_s again (s)")

    _max_not_below_initial = not_below("max_s", "initial_s", unit="s")

    def next_wait(self, previous: float | None, ran_s: float) -> float:
        """The wait before the next restart, given the last wait (None: none yet) and how long the run lasted."""
        if previous is None or ran_s >= self.reset_after_s:
            return self.initial_s
        return min(previous * self.factor, self.max_s)


class ServeFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    pipeline: str = Field(..., min_length=1, description="Pipeline YAML, relative to the cameras file")
    output: str = Field("serve-output", min_length=1, description="Output root, relative to the cameras file")
    health_every_s: float = Field(5.0, gt=0, description="Print the health table this often (s)")
    restart: RestartPolicy = Field(RestartPolicy(), description="Restarting a camera whose pipeline failed")
    cameras: list[CameraEntry] = Field(..., min_length=1)

    @field_validator("cameras")
    @classmethod
    def _unique_ids(cls, cameras: list[CameraEntry]) -> list[CameraEntry]:
        ids = [c.id for c in cameras]
        if len(set(ids)) != len(ids):
            raise ValueError(f"camera ids must be unique: {', '.join(sorted({i for i in ids if ids.count(i) > 1}))}")
        return cameras


def load_serve_file(path: Path) -> ServeFile:
    """The cameras file, read through workbench.core.safe_yaml (size cap, no anchors/aliases: those refusals name the
    file, line and column themselves)."""
    try:
        return ServeFile.model_validate(load_yaml_text(path.read_text(encoding="utf-8"), origin=str(path)))
    except OSError as exc:
        raise WorkbenchError([Problem("source_missing", field=str(path), params={"path": str(path)})]) from exc
    except (YamlSyntaxError, ValidationError) as exc:
        where = ".".join(str(x) for x in exc.errors()[0]["loc"]) if isinstance(exc, ValidationError) else None
        detail = (exc.errors()[0]["msg"] if isinstance(exc, ValidationError)
                  else f"line {exc.line}, column {exc.column}: {exc.detail}")
        raise WorkbenchError([Problem("serve_file_invalid", field=where, params={"path": str(path),
                                                                                 "detail": detail})]) from None


def stream_registry() -> BlockRegistry:
    """The installed blocks, with the stream source even before its entry point is installed."""
    from blocks.sources.stream import StreamSource

    registry = default_registry()
    if registry.get(STREAM_TYPE) is None:
        registry.add(StreamSource, origin="blocks.sources.stream")
    return registry


def camera_spec(spec: PipelineSpec, registry: BlockRegistry, cam: CameraEntry) -> PipelineSpec:
    """The pipeline for one camera: the source reads its URL (tagging events with its id), then its site settings."""
    data = spec.to_dict()
    for node in data["nodes"]:
        cls = registry.get(node["type"])
        if cls is not None and issubclass(cls, SourceBlock):
            kept = node["config"] if node["type"] == STREAM_TYPE else {}
            node["type"], node["config"] = STREAM_TYPE, {**kept, "url": cam.url, "camera": cam.id}
    known = {n["id"] for n in data["nodes"]}
    for node_id in cam.site:
        if node_id not in known:
            raise WorkbenchError([Problem("serve_unknown_node", node=node_id, field=f"cameras.{cam.id}.site",
                                          params={"camera": cam.id, "nodes": ", ".join(sorted(known))})])
    out = parse_spec(data)
    for node_id, changes in cam.site.items():
        out = out.with_config(node_id, **changes)
    return out


def check_cameras(spec: PipelineSpec, registry: BlockRegistry, cameras: list[CameraEntry]) -> None:
    """Every camera's pipeline compiles (settings, site settings, wiring; no model is loaded), else every problem at
    once: what cannot heal by waiting is reported before anything starts or changes. A problem of the pipeline itself
    is reported once; one that a camera's site settings cause names the node `camera/node`."""
    own = _compile_problems(spec, registry, cameras[0].model_copy(update={"site": {}})) if cameras else []
    problems = list(own)
    for cam in (c for c in cameras if c.site):
        for p in _compile_problems(spec, registry, cam):
            if p not in own:
                named = p.code == "serve_unknown_node"  # names the camera already
                problems.append(p if named else replace(p, node=f"{cam.id}/{p.node}" if p.node else cam.id))
    if problems:
        raise PipelineInvalid(problems)


def _compile_problems(spec: PipelineSpec, registry: BlockRegistry, cam: CameraEntry) -> list[Problem]:
    try:
        compile_pipeline(camera_spec(spec, registry, cam), registry, load=False)
    except WorkbenchError as exc:
        return exc.problems
    return []
