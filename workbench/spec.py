"""The pipeline spec: the one YAML format that the UI, the CLI and the registry read (docs/pipeline-format.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workbench.errors import PipelineInvalid, Problem

NODE_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*$"


class Meta(BaseModel):
    """Who made the pipeline and what it is for. Unknown keys are kept (round-trip without loss)."""

    model_config = ConfigDict(extra="allow")
    name: str = Field(description="Short machine-friendly name, e.g. vehicle-count")
    description: str = Field("", description="What the pipeline does, for people browsing pipelines")
    author: str = Field("", description="Person or team responsible")
    version: str = Field("1.0.0", description="Semantic version of this pipeline")


class NodeSpec(BaseModel):
    """One block on the canvas: its id in this pipeline, its type id@version and its settings."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=NODE_ID_PATTERN, description="Unique node name in this pipeline")
    type: str = Field(description="Block type id with major version, e.g. rules/line_crossing@v1")
    config: dict[str, Any] = Field(default_factory=dict, description="Block settings, checked by the block's Config")


class EdgeSpec(BaseModel):
    """A connection `node.port -> node.port`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str = Field(alias="from", description="Output as node.port")
    target: str = Field(alias="to", description="Input as node.port")

    @field_validator("source", "target")
    @classmethod
    def _node_dot_port(cls, v: str) -> str:
        node, dot, port = v.partition(".")
        if not (node and dot and port):
            raise ValueError(f"'{v}' is not node.port")
        return v

    @property
    def source_node(self) -> str:
        return self.source.partition(".")[0]

    @property
    def source_port(self) -> str:
        return self.source.partition(".")[2]

    @property
    def target_node(self) -> str:
        return self.target.partition(".")[0]

    @property
    def target_port(self) -> str:
        return self.target.partition(".")[2]


class PipelineSpec(BaseModel):
    """A saved pipeline: `version`, `meta`, `nodes`, `edges`, `layout` (canvas positions)."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1] = Field(1, description="Spec format version")
    meta: Meta
    nodes: list[NodeSpec] = Field(default_factory=list)
    edges: list[EdgeSpec] = Field(default_factory=list)
    layout: dict[str, tuple[float, float]] = Field(default_factory=dict, description="node id -> [x, y] on the canvas")

    def node(self, node_id: str) -> NodeSpec | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def to_dict(self) -> dict[str, Any]:
        d = self.model_dump(mode="json", by_alias=True)
        d["layout"] = {k: list(v) for k, v in self.layout.items()}
        return d

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, default_flow_style=None, width=120)

    def with_config(self, node_id: str, **changes: Any) -> PipelineSpec:
        """A copy with some settings of one node replaced (used by `run --source/--stride`)."""
        nodes = [n.model_copy(update={"config": {**n.config, **changes}}) if n.id == node_id else n for n in self.nodes]
        return self.model_copy(update={"nodes": nodes})


def parse_spec(data: Any, origin: str = "pipeline") -> PipelineSpec:
    """Check the spec's shape; every shape error becomes a Problem naming the node and field where possible."""
    try:
        return PipelineSpec.model_validate(data)
    except ValidationError as exc:
        raise PipelineInvalid([_shape_problem(data, err) for err in exc.errors()]) from None


def _shape_problem(data: Any, err: dict[str, Any]) -> Problem:
    loc = list(err["loc"])
    node = None
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
        try:
            node = data["nodes"][loc[1]].get("id") or f"nodes[{loc[1]}]"
        except (AttributeError, IndexError, KeyError, TypeError):
            node = f"nodes[{loc[1]}]"
        loc = loc[2:]
    field = ".".join(str(p) for p in loc) or None
    return Problem(code="spec_shape", node=node, field=field, params={"detail": err["msg"]})


def load_spec(path: str | Path) -> PipelineSpec:
    """Read a pipeline YAML file; unreadable files and bad YAML become Problems, never tracebacks."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineInvalid([Problem("spec_missing", params={"path": str(path)})]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PipelineInvalid([Problem("spec_unreadable", params={"path": str(path), "detail": str(exc)})]) from None
    return spec_from_yaml(text, origin=str(path))


def spec_from_yaml(text: str, origin: str = "pipeline") -> PipelineSpec:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else "?"
        params = {"path": origin, "line": line, "detail": str(exc)}
        raise PipelineInvalid([Problem("spec_yaml", params=params)]) from None
    if not isinstance(data, dict):
        raise PipelineInvalid([Problem("spec_not_mapping", params={"path": origin})])
    return parse_spec(data, origin)


def save_spec(spec: PipelineSpec, path: str | Path) -> None:
    """Write atomically: a crash while saving never leaves half a file."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(spec.to_yaml(), encoding="utf-8")
    tmp.replace(path)
