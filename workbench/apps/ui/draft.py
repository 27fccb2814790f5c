"""The pipeline being edited on the Build page: its spec, file name, canvas identity and selection.

Kept in Streamlit's session state as one object, but written without Streamlit so every step is testable.
Every draft has its own random `id` and counts its own `revision`: the canvas redraws whenever the pair changes, and
a canvas reply is applied only to the draft and revision it was drawn on (docs/canvas-protocol.md). So opening another
pipeline always redraws the canvas, and a reply left over from the previous pipeline can never edit the new one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.apps.ui import editor, library
from workbench.apps.ui.canvas_model import apply_canvas_reply
from workbench.core.errors import Problem
from workbench.core.registry import BlockRegistry
from workbench.engine.spec import PipelineSpec, load_spec


@dataclass
class Draft:
    """One open pipeline. `revision` grows whenever Python changed the graph, so the canvas redraws from the spec;
    `id` tells this draft's canvas replies from those of any other draft (a new one per opened pipeline)."""

    spec: PipelineSpec
    name: str = ""  # file name in the user's folder; "" until first saved
    template: str = ""  # the bundled pipeline it was started from, if any
    revision: int = 1
    selected: str | None = None
    saved_yaml: str = ""
    last_reply: dict[str, Any] | None = None
    notices: list[Problem] = field(default_factory=list)  # refused edits to show once
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    opened_as: str = ""  # the pipeline's own name (meta.name) when it was opened

    def __post_init__(self) -> None:
        self.opened_as = self.opened_as or self.spec.meta.name

    @property
    def dirty(self) -> bool:
        return self.spec.to_yaml() != self.saved_yaml

    def change(self, spec: PipelineSpec, selected: str | None = None, keep_selection: bool = True) -> None:
        """Replace the spec after a Python-side edit; the canvas redraws."""
        self.spec = spec
        self.selected = self.selected if keep_selection and selected is None else selected
        if self.selected and spec.node(self.selected) is None:
            self.selected = None
        self.revision += 1

    def select(self, node_id: str | None) -> None:
        self.selected = node_id
        self.revision += 1

    def add_block(self, type_id: str) -> str:
        spec, node_id = editor.add_node(self.spec, type_id)
        self.change(spec, selected=node_id, keep_selection=False)
        return node_id

    def take_reply(self, reply: dict[str, Any] | None, registry: BlockRegistry) -> bool:
        """Apply a canvas reply once; replies drawn for another draft or an older revision are ignored."""
        if not reply or reply == self.last_reply or not self.drew(reply):
            return False
        self.last_reply = reply
        edit = apply_canvas_reply(self.spec, reply, registry)
        self.spec, self.notices = edit.spec, edit.refused
        self.selected = edit.selected
        if edit.rerender:
            self.revision += 1
        return True

    def drew(self, reply: dict[str, Any]) -> bool:
        """Was `reply` made on the canvas as this draft's current revision drew it?"""
        return reply.get("draft") == self.id and reply.get("revision") == self.revision

    def follow_file_name(self, name: str) -> None:
        """Before saving as `name`: the pipeline's own name (shown in runs, evaluations, the registry) follows the
        file name, unless staff gave it a name of their own (not the default, the template's or the old file's)."""
        automatic = {editor.DEFAULT_PIPELINE_NAME, self.name, self.opened_as}
        if self.spec.meta.name in automatic and name.strip() and self.spec.meta.name != name.strip():
            meta = self.spec.meta.model_copy(update={"name": name.strip()})
            self.spec = self.spec.model_copy(update={"meta": meta})
            self.opened_as = name.strip()

    def mark_saved(self, name: str) -> None:
        self.name, self.saved_yaml = name, self.spec.to_yaml()


def new_draft(meta_name: str = editor.DEFAULT_PIPELINE_NAME) -> Draft:
    return Draft(spec=editor.new_pipeline(meta_name))


def open_draft(entry: library.PipelineEntry) -> Draft:
    """A user's file opens for editing in place; a bundled template opens as an unsaved copy."""
    spec = load_spec(entry.path)
    if entry.bundled:
        return Draft(spec=spec, template=entry.name)
    return Draft(spec=spec, name=entry.name, saved_yaml=spec.to_yaml())


def draft_from_file(path: Path) -> Draft:
    return Draft(spec=load_spec(path))
