"""The block catalog: every block registered under the `workbench.blocks` entry-point group, core and plugins alike."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from workbench.core.block import Block, SourceBlock
from workbench.core.i18n import LANGUAGES
from workbench.core.kinds import Port

ENTRY_POINT_GROUP = "workbench.blocks"


@dataclass
class BlockRegistry:
    """Block classes by type id, plus the plugins that failed to load (shown, never fatal)."""

    blocks: dict[str, type[Block]] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)  # entry point -> why it did not load

    @classmethod
    def of(cls, classes: Iterable[type[Block]]) -> BlockRegistry:
        reg = cls()
        for block in classes:
            reg.add(block, origin=block.__module__)
        return reg

    def add(self, block: Any, origin: str) -> None:
        is_block = isinstance(block, type) and issubclass(block, Block)
        if not (is_block and isinstance(getattr(block, "type_id", None), str)):
            self.broken[origin] = "not a Block subclass with a type_id"
        elif block.type_id in self.blocks and self.blocks[block.type_id] is not block:
            owner = self.blocks[block.type_id].__module__
            self.broken[origin] = f"type id {block.type_id} is already registered by {owner}"
        else:
            self.blocks[block.type_id] = block

    def get(self, type_id: str) -> type[Block] | None:
        return self.blocks.get(type_id)

    def suggest(self, type_id: str, n: int = 3) -> list[str]:
        """The closest known type ids, for 'did you mean'."""
        names = sorted(self.blocks)
        close = difflib.get_close_matches(type_id, names, n=n, cutoff=0.5)
        if not close:  # a known name with a wrong version: offer the versions that exist
            base = type_id.split("@", 1)[0]
            close = [name for name in names if name.split("@", 1)[0] == base][:n]
        return close

    def sources(self) -> list[str]:
        return [tid for tid, b in self.blocks.items() if issubclass(b, SourceBlock)]

    def describe(self) -> list[dict[str, Any]]:
        """What the UI palette and forms are built from; `workbench blocks --json` prints it."""
        return [describe_block(self.blocks[tid]) for tid in sorted(self.blocks)]


def describe_block(block: type[Block]) -> dict[str, Any]:
    def port(p: Port) -> dict[str, Any]:
        return {"name": p.name, "kind": p.kind.value, "required": p.required, "many": p.many,
                "description": p.description}

    return {
        "type": block.type_id,
        "name": block.name(),
        "version": block.type_id.split("@", 1)[1],
        "category": block.category(),
        "title": {lang: block.title(lang) for lang in LANGUAGES},
        "description": {lang: block.description(lang) for lang in LANGUAGES},
        "is_source": issubclass(block, SourceBlock),
        "inputs": [port(p) for p in block.inputs],
        "outputs": [port(p) for p in block.outputs],
        "site_fields": list(block.site_fields),
        "config_schema": block.Config.model_json_schema(),
        "module": block.__module__,
    }


@cache
def default_registry() -> BlockRegistry:
    """Every installed block, loaded once per process from the entry points."""
    reg = BlockRegistry()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            reg.add(ep.load(), origin=f"{ep.name} = {ep.value}")
        except Exception as exc:  # a broken plugin must not take the catalog down
            reg.broken[f"{ep.name} = {ep.value}"] = f"{type(exc).__name__}: {exc}"
    return reg
