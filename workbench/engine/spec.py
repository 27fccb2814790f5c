"""The pipeline spec: the one YAML format that the UI, the CLI and the registry read (docs/pipeline-format.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workbench.core.errors import PipelineInvalid, Problem
from workbench.core.paths import write_atomic
from workbench.core.safe_yaml import YamlRefused, YamlSyntaxError, dump_yaml, load_yaml_text

NODE_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*$"
# What one pipeline may carry (a pipeline is data that may come from another district, docs/security.md). The
# bundled ones are 2-6 KB with 4-9 nodes; a hand-made pipeline of MAX_NODES nodes with its layout is ~200 KB.
MAX_PIPELINE_BYTES = 1_000_000
MAX_NODES = 200
MAX_EDGES = 1000


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
        return dump_yaml(self.to_dict(), sort_keys=False, allow_unicode=True, default_flow_style=None, width=120)

    def with_config(self, node_id: str, **changes: Any) -> PipelineSpec:
        """A copy with some settings of one node replaced (used by `run --source/--stride`)."""
        nodes = [n.model_copy(update={"config": {**n.config, **changes}}) if n.id == node_id else n for n in self.nodes]
        return self.model_copy(update={"nodes": nodes})


def parse_spec(data: Any, origin: str = "pipeline") -> PipelineSpec:
    """Check the spec's shape; every shape error becomes a Problem naming the node and field where possible.
    More than MAX_NODES nodes or MAX_EDGES edges is refused before any node is looked at."""
    if isinstance(data, dict):
        too_many = count_problems(data.get("nodes"), data.get("edges"), origin)
        if too_many:
            raise PipelineInvalid(too_many)
    try:
        return PipelineSpec.model_validate(data)
    except ValidationError as exc:
        raise PipelineInvalid([_shape_problem(data, err) for err in exc.errors()]) from None


def count_problems(nodes: Any, edges: Any, origin: str = "pipeline") -> list[Problem]:
    """The node and edge caps (MAX_NODES, MAX_EDGES): checked when a pipeline is read and when one is validated."""
    problems = []
    if isinstance(nodes, list) and len(nodes) > MAX_NODES:
        problems.append(Problem("spec_too_many_nodes", field="nodes",
                                params={"path": origin, "count": len(nodes), "limit": MAX_NODES}))
    if isinstance(edges, list) and len(edges) > MAX_EDGES:
        problems.append(Problem("spec_too_many_edges", field="edges",
                                params={"path": origin, "count": len(edges), "limit": MAX_EDGES}))
    return problems


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
        with path.open("rb") as f:  # never more than the cap into memory, whatever the file is
            raw = f.read(MAX_PIPELINE_BYTES + 1)
            size = max(len(raw), path.stat().st_size)
        if len(raw) > MAX_PIPELINE_BYTES:
            raise PipelineInvalid([Problem("yaml_too_big", params={"path": str(path), "size": size,
                                                                   "limit": MAX_PIPELINE_BYTES})])
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise PipelineInvalid([Problem("spec_missing", params={"path": str(path)})]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PipelineInvalid([Problem("spec_unreadable", params={"path": str(path), "detail": str(exc)})]) from None
    return spec_from_yaml(text, origin=str(path))


def spec_from_upload(data: bytes, origin: str) -> PipelineSpec:
    """A pipeline from an uploaded file's bytes: over MAX_PIPELINE_BYTES is refused before it is decoded (the app
    accepts uploads up to server.maxUploadSize, sized for video clips)."""
    if len(data) > MAX_PIPELINE_BYTES:
        raise PipelineInvalid([Problem("yaml_too_big", params={"path": origin, "size": len(data),
                                                               "limit": MAX_PIPELINE_BYTES})])
    return spec_from_yaml(data.decode("utf-8", errors="replace"), origin=origin)


def spec_from_yaml(text: str, origin: str = "pipeline") -> PipelineSpec:
    """A pipeline from YAML text (a file, an upload, the YAML box): at most MAX_PIPELINE_BYTES, no anchors or aliases
    (workbench.core.safe_yaml), at most MAX_NODES nodes and MAX_EDGES edges; every refusal is a PipelineInvalid. An
    empty text and one without `nodes` are refused saying what is missing (a dict built in code may omit `nodes`)."""
    try:
        data = load_yaml_text(text, origin=origin, max_bytes=MAX_PIPELINE_BYTES)
    except YamlSyntaxError as exc:
        params = {"path": origin, "line": exc.line, "detail": f"{exc.detail} (column {exc.column})"}
        raise PipelineInvalid([Problem("spec_yaml", params=params)]) from None
    except YamlRefused as exc:
        raise PipelineInvalid(exc.problems) from None
    if data is None:  # nothing but blanks or comments
        raise PipelineInvalid([Problem("spec_empty", params={"path": origin})])
    if not isinstance(data, dict):
        raise PipelineInvalid([Problem("spec_not_mapping", params={"path": origin})])
    if data.get("nodes") is None:  # a file without blocks: say so, not "the pipeline has no source"
        raise PipelineInvalid([Problem("spec_no_nodes", field="nodes", params={"path": origin})])
    return parse_spec(data, origin)


def save_spec(spec: PipelineSpec, path: str | Path, private: bool = False) -> None:
    """Write atomically: a crash while saving never leaves half a file. `private`: owner-only (mode 0600), for a
    copy that may hold a camera password."""
    write_atomic(Path(path), spec.to_yaml(), private)
