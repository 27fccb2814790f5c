"""Helpers shared by the sink blocks: where in the run folder a sink writes, and plain file-name settings.

Every file or folder a sink writes goes through `workbench.core.write_paths.writable_path` (the run folder, or a folder
the operator's policy lists in write_dirs; symlinks and '..' resolved first).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator

from workbench.core.block import StreamContext
from workbench.core.errors import BlockError
from workbench.core.write_paths import writable_path

_PLAIN = re.compile(r"^[^/\\:*?\"<>|\x00-\x1f]+$")


def plain_name(value: str) -> str:
    """Pydantic validator body: a file or folder name inside the run folder (no sub-folders, no '..')."""
    value = value.strip()
    if not value or value in (".", "..") or not _PLAIN.match(value):
        raise ValueError("must be a plain name without folders or the characters / \\ : * ? \" < > |")
    return value


PlainName = Annotated[str, AfterValidator(plain_name)]  # a config field holding such a name


def safe_part(value: object) -> str:
    """A piece of a file name made from data (node id, event type): letters, digits, '-', '_' and '.' only."""
    return re.sub(r"[^\w.-]+", "-", str(value), flags=re.ASCII).strip("-.") or "x"


def ensure_writable(folder: Path, node: str, field: str) -> Path:
    """Create `folder` if needed and check that files can be created in it; else BlockError('sink_unwritable')."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise BlockError("sink_unwritable", node, field, path=str(folder), detail=exc.strerror or str(exc)) from None
    return folder


def run_folder(ctx: StreamContext, node: str, field: str) -> Path | None:
    """The run folder, checked writable; None when the stream has no run folder (a preview writes nothing)."""
    if ctx.out_dir is None:
        return None
    return ensure_writable(Path(ctx.out_dir), node, field)


def run_file(ctx: StreamContext, name: str | Path, node: str, field: str) -> Path | None:
    """Where to write `name` in the run folder (checked writable, `name` checked by `writable_path`: a symlink
    there that leads outside is refused); None when the stream has no run folder."""
    if run_folder(ctx, node, field) is None:
        return None
    return writable_path(name, ctx.out_dir, node, field)
