"""The pipeline being edited on the Build page: its spec, file name, canvas revision and selection.

Kept in Streamlit's session state as one object, but written without Streamlit so every step is testable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import Problem
from workbench.registry import BlockRegistry
from workbench.spec import PipelineSpec, load_spec
from workbench.ui import editor, library
from workbench.ui.canvas_model import apply_canvas_reply


@dataclass
class Draft:
    """One open pipeline. `revision` grows whenever Python changed the graph, so the canvas redraws from the spec."""

    spec: PipelineSpec
    name: str = ""  # file name in the user's folder; "" until first saved
    template: str = ""  # the bundled pipeline it was started from, if any
    revision: int = 1
    selected: str | None = None
    saved_yaml: str = ""
    last_reply: dict[str, Any] | None = None
    notices: list[Problem] = field(default_factory=list)  # refused edits to show once

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
        """Apply a canvas reply once; replies drawn on an older revision are stale and ignored. True if applied."""
        if not reply or reply == self.last_reply or reply.get("revision") != self.revision:
            return False
        self.last_reply = reply
        edit = apply_canvas_reply(self.spec, reply, registry)
        self.spec, self.notices = edit.spec, edit.refused
        self.selected = edit.selected
        if edit.rerender:
            self.revision += 1
        return True

    def mark_saved(self, name: str) -> None:
        self.name, self.saved_yaml = name, self.spec.to_yaml()


def new_draft(meta_name: str = "new-pipeline") -> Draft:
    return Draft(spec=editor.new_pipeline(meta_name))


def open_draft(entry: library.PipelineEntry) -> Draft:
    """A user's file opens for editing in place; a bundled template opens as an unsaved copy."""
    spec = load_spec(entry.path)
    if entry.bundled:
        return Draft(spec=spec, template=entry.name)
    return Draft(spec=spec, name=entry.name, saved_yaml=spec.to_yaml())


def draft_from_file(path: Path) -> Draft:
    return Draft(spec=load_spec(path))
