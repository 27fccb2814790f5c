"""The cameras file of `workbench serve` and the pipeline each camera runs.

    pipeline: pipelines/vehicle_count_line.yaml   # relative to this file
    output: serve-output                          # one folder per camera under it (--out overrides)
    cameras:
      - id: gate-1
        url: rtsp://user:password@10.0.0.5/stream1
        site: {count_line: {start: [320, 140], end: [320, 265]}}   # optional: settings per node for this camera

The pipeline's source node becomes a `sources/stream@v1` reading the camera's URL (a stream source keeps its other
settings), with the camera id as the events' `source`; then the camera's site settings are applied.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workbench.block import SourceBlock
from workbench.errors import Problem, WorkbenchError
from workbench.registry import BlockRegistry, default_registry
from workbench.spec import PipelineSpec, parse_spec

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


class ServeFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    pipeline: str = Field(..., min_length=1, description="Pipeline YAML, relative to the cameras file")
    output: str = Field("serve-output", min_length=1, description="Output root, relative to the cameras file")
    health_every_s: float = Field(5.0, gt=0, description="Print the health table this often (s)")
    cameras: list[CameraEntry] = Field(..., min_length=1)

    @field_validator("cameras")
    @classmethod
    def _unique_ids(cls, cameras: list[CameraEntry]) -> list[CameraEntry]:
        ids = [c.id for c in cameras]
        if len(set(ids)) != len(ids):
            raise ValueError(f"camera ids must be unique: {', '.join(sorted({i for i in ids if ids.count(i) > 1}))}")
        return cameras


def load_serve_file(path: Path) -> ServeFile:
    try:
        return ServeFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise WorkbenchError([Problem("source_missing", field=str(path), params={"path": str(path)})]) from exc
    except (yaml.YAMLError, ValidationError) as exc:
        where = ".".join(str(x) for x in exc.errors()[0]["loc"]) if isinstance(exc, ValidationError) else None
        detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
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
