"""A real frame of the pipeline's source, to draw lines and zones on.

`read_preview()` is pure (no Streamlit): it opens the source node through `SourceBlock.open()`, exactly as a run
does, and keeps the decoded frame in a small cache keyed by the source's settings, the frame index and the file's
size and modification time. `preview_frame()` is its Streamlit face: it shows a translated message instead of raising.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from workbench.core.block import SourceBlock
from workbench.core.errors import WorkbenchError
from workbench.core.i18n import t
from workbench.core.registry import BlockRegistry
from workbench.engine.spec import PipelineSpec
from workbench.engine.validate import config_problems


@dataclass(frozen=True)
class Preview:
    """A frame (RGB, read-only) or why there is none (a translation key and its parameters)."""

    image: np.ndarray | None
    key: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    where: str = ""  # node.field the reason belongs to, if any

    def message(self, lang: str | None = None) -> str:
        text = t(self.key, lang, **self.params) if self.key else ""
        return f"{self.where}: {text}" if self.where and text else text


def read_preview(spec: PipelineSpec, registry: BlockRegistry, frame_index: int = 0) -> Preview:
    """Frame `frame_index` of what the source yields (after its start/stride window); the last one if it is shorter."""
    found = [(node, registry.get(node.type)) for node in spec.nodes]
    sources = [(node, block) for node, block in found if isinstance(block, type) and issubclass(block, SourceBlock)]
    if not sources:
        return Preview(None, "app.forms.preview_no_source")
    node, block = sources[0]
    problems = config_problems(node.id, block, node.config)
    if problems:
        first = problems[0]
        return Preview(None, f"problem.{first.code}", dict(first.params), where=first.where())
    location = str(node.config.get(block.location_field, ""))
    config_json = json.dumps(node.config, sort_keys=True, default=str)
    return _read_frame(block, node.id, config_json, max(0, int(frame_index)), _file_stamp(location))


def _file_stamp(location: str) -> tuple[int, int] | None:
    """Size and modification time of a local file or folder, so that a replaced file is read again."""
    try:
        stat = Path(location).stat()
    except (OSError, ValueError):
        return None
    return stat.st_size, stat.st_mtime_ns


@lru_cache(maxsize=16)
def _read_frame(block: type[SourceBlock], node_id: str, config_json: str, frame_index: int,
                stamp: tuple[int, int] | None) -> Preview:
    source = block(block.Config.model_validate(json.loads(config_json)), node_id)
    try:
        stream = source.open()
    except WorkbenchError as exc:
        problem = exc.problems[0]
        return Preview(None, f"problem.{problem.code}", dict(problem.params), where=problem.where())
    except Exception as exc:  # a defect or an odd file: say so, never crash the page
        return Preview(None, "app.forms.preview_failed", {"detail": f"{type(exc).__name__}: {exc}"})
    image = None
    try:
        for index, frame in enumerate(stream.frames):
            image = frame.image
            if index >= frame_index:
                break
    except Exception as exc:
        return Preview(None, "app.forms.preview_failed", {"detail": f"{type(exc).__name__}: {exc}"})
    finally:
        stream.close()
    if image is None:
        return Preview(None, "app.forms.preview_empty")
    rgb = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2RGB)
    rgb.flags.writeable = False  # cached and shared: nobody may draw on it
    return Preview(rgb)


def preview_frame(spec: PipelineSpec, registry: BlockRegistry, frame_index: int = 0) -> np.ndarray | None:
    """The source's frame as an RGB array for the settings form; a translated warning and None when unavailable."""
    import streamlit as st

    from workbench.apps.ui.common import lang

    preview = read_preview(spec, registry, frame_index)
    if preview.image is None:
        st.warning(t("app.forms.preview_failed_intro", lang()) + " " + preview.message(lang()))
    return preview.image
