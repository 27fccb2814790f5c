"""The block contract: a typed, configurable step of a pipeline (see docs/block-contract.md).

A block is one file: a frozen pydantic `Config` (extra fields forbidden, every field described), a stable `type_id`
such as `rules/line_crossing@v1`, typed `inputs`/`outputs`, and a `process()` that returns new objects and never
mutates its inputs. The block instance is shared by every stream of a compiled pipeline; everything that changes while
a stream plays lives in the state object that `start()` returns, so a new stream (or a reset) is just a new state.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from workbench.core.frames import Frame
from workbench.core.i18n import has, t
from workbench.core.kinds import Port


class BlockConfig(BaseModel):
    """Base of every block's settings: frozen, unknown keys refused, every field carries a description."""

    model_config = ConfigDict(frozen=True, extra="forbid")


C = TypeVar("C", bound=BlockConfig)


@dataclass(frozen=True)
class Overlay:
    """Geometry a block wants drawn on annotated video: a counting line or a zone polygon."""

    node: str
    shape: str  # "line" or "polygon"
    points: tuple[tuple[float, float], ...]
    label: str = ""


@dataclass(frozen=True)
class StreamContext:
    """What a block learns when a stream starts: where to write, what is playing, what other blocks draw."""

    out_dir: Path | None
    source: str
    fps: float
    frame_size: tuple[int, int]
    camera: str = ""
    overlays: tuple[Overlay, ...] = ()
    start_time: datetime | None = None


class Block(ABC, Generic[C]):
    """Base class of every block. Subclasses set the class attributes and override `process()`."""

    type_id: ClassVar[str]  # "<category>/<name>@v<major>", never changed once published
    Config: ClassVar[type[BlockConfig]] = BlockConfig
    inputs: ClassVar[tuple[Port, ...]] = ()
    outputs: ClassVar[tuple[Port, ...]] = ()
    # Config fields that describe the site (lines, zones, calibration), not the algorithm: redrawn on import.
    site_fields: ClassVar[tuple[str, ...]] = ()
    # Config fields holding a file path the block writes that may leave the run folder (e.g. a shared database):
    # validation checks them with workbench.core.write_paths.writable_path, as start() does.
    write_fields: ClassVar[tuple[str, ...]] = ()
    # Config fields naming something outside this machine's pipelines (a web address, a header, a camera): on import
    # they are pending until this site confirms them, and the pipeline does not run before (docs/security.md).
    outward_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: C, node_id: str = "") -> None:
        """Cheap: keep the settings. Heavy resources are loaded in `load()`."""
        self.config: C = config
        self.node_id = node_id

    # -- description ------------------------------------------------------------------------------------------------
    @classmethod
    def category(cls) -> str:
        return cls.type_id.split("/", 1)[0]

    @classmethod
    def name(cls) -> str:
        """`rules/line_crossing` for `rules/line_crossing@v1`."""
        return cls.type_id.split("@", 1)[0]

    @classmethod
    def title(cls, lang: str | None = None) -> str:
        key = f"block.{cls.name()}.title"
        return t(key, lang) if has(key) else cls.name().split("/")[-1].replace("_", " ")

    @classmethod
    def description(cls, lang: str | None = None) -> str:
        key = f"block.{cls.name()}.description"
        return t(key, lang) if has(key) else (cls.__doc__ or "").strip().splitlines()[0]

    @classmethod
    def input(cls, name: str) -> Port | None:
        return next((p for p in cls.inputs if p.name == name), None)

    @classmethod
    def output(cls, name: str) -> Port | None:
        return next((p for p in cls.outputs if p.name == name), None)

    @classmethod
    def outward_settings(cls) -> tuple[str, ...]:
        """The settings an imported pipeline must not use before this site confirms them."""
        return cls.outward_fields

    @classmethod
    def output_classes(cls, config: Any, upstream: frozenset[str] | None) -> frozenset[str] | None:
        """The class names this block's detections/tracks can carry, given those reaching its inputs (None =
        unknown). Used to offer only classes that can arrive and to warn about a rule that waits for a class no
        block upstream ever outputs. Default: what comes in goes out (trackers, filters by size or place)."""
        return upstream

    @classmethod
    def model_fits(cls, manifest: Any) -> bool:
        """Whether a model-zoo model (its manifest, `workbench.models.zoo.ModelManifest`) runs in this block; the
        settings form's model picker offers only these. Default: every model."""
        return True

    # -- life cycle -------------------------------------------------------------------------------------------------
    def load(self) -> None:
        """Load what all streams share (model weights). Called once when the pipeline is compiled."""

    def start(self, ctx: StreamContext) -> Any:
        """Return fresh per-stream state. Sinks open their files here."""
        return None

    @abstractmethod
    def process(self, state: Any, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Turn this frame's inputs into outputs (a dict by output port name). Never mutate `inputs`."""

    def finish(self, state: Any) -> dict[str, Any]:
        """End of stream: flush and close what `start()` opened; return facts for summary.json."""
        return {}

    def overlays(self) -> list[Overlay]:
        """Lines and zones from the settings, for annotated output."""
        return []


@dataclass(frozen=True)
class LiveHandle:
    """What a live source offers its runner while it reads: its health now, and a way to stop reading. Handed to the
    runner by `SourceBlock.open_live` as soon as reading starts (before the first frame), so nothing is looked up in
    a process-wide table and a camera that never answers can still be watched and stopped."""

    health: Callable[[], Any]
    stop: Callable[[], None]


@dataclass
class VideoStream:
    """An opened source: its frames and what is known about them before reading."""

    frames: Iterator[Frame]
    fps: float
    frame_size: tuple[int, int]
    frame_count: int | None = None  # frames expected in the chosen window, if the container says
    start_time: datetime | None = None
    close: Any = field(default=lambda: None)
    # Set by the source when it ends before `frame_count` (e.g. a truncated file): a user-facing reason.
    stopped_early: str | None = None


class SourceBlock(Block[C]):
    """A block with no inputs that yields frames. Exactly one per pipeline (v1)."""

    location_field: ClassVar[str] = "path"  # the setting `workbench run --source` replaces

    @classmethod
    def outward_settings(cls) -> tuple[str, ...]:
        """Where a source reads from is always this site's decision."""
        return (cls.location_field, *(f for f in cls.outward_fields if f != cls.location_field))

    @abstractmethod
    def open(self) -> VideoStream:
        """Open the source; raise `BlockError` naming `location_field` when it cannot be read."""

    def open_live(self, on_live: Callable[[LiveHandle], None]) -> VideoStream:
        """Open, handing a live source's health and stop to `on_live` as soon as it starts reading. What the runner
        calls; a source that is not live keeps the default (plain `open()`)."""
        return self.open()

    def process(self, state: Any, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The runner reads sources through `open()`; it passes each frame on as the `frames` output."""
        return {"frames": frame}
