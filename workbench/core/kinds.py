"""The closed set of port kinds that may travel along an edge, and which output kinds fit which inputs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """What travels on an edge. The set is closed: a new kind changes the block contract (docs/block-contract.md)."""

    IMAGE = "image"  # workbench.core.frames.Frame: one decoded BGR frame with its index and time
    DETECTIONS = "detections"  # supervision.Detections without track ids
    TRACKS = "tracks"  # supervision.Detections with tracker_id and data["trajectory"]
    EVENTS = "events"  # tuple[workbench.core.events.Event, ...]


# Output kind -> the input kinds it may feed. Tracks are detections with identities, so they fit a detections input.
_FITS: dict[Kind, frozenset[Kind]] = {
    Kind.IMAGE: frozenset({Kind.IMAGE}),
    Kind.DETECTIONS: frozenset({Kind.DETECTIONS}),
    Kind.TRACKS: frozenset({Kind.TRACKS, Kind.DETECTIONS}),
    Kind.EVENTS: frozenset({Kind.EVENTS}),
}


def fits(output: Kind, input_: Kind) -> bool:
    """True when a value of kind `output` may be connected to an input port of kind `input_`."""
    return input_ in _FITS[output]


def fit_table() -> dict[str, list[str]]:
    """The same rule as data, {output kind: [input kinds]}: what the canvas checks a drop against."""
    return {k.value: sorted(v.value for v in _FITS[k]) for k in Kind}


@dataclass(frozen=True)
class Port:
    """A named, typed input or output of a block.

    `many` inputs accept several edges; their values are concatenated (events from several rules into one sink).
    """

    name: str
    kind: Kind
    required: bool = True
    many: bool = False
    description: str = ""
