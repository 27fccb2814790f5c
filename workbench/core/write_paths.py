"""Where a block may write a file: inside the run folder, or inside a folder the operator's policy lists.

A pipeline may come from another district, so a file name in it is untrusted: an absolute path or `../` could make a
sink create or change files anywhere this process may write (another application's SQLite file, a config file).
Every sink asks `writable_path` before it opens, creates or connects to anything; it resolves symlinks and `..`
first, so a link inside the run folder that points outside is refused too. Validation asks the same function
(without a run folder) so the Build page shows the refusal before a run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

from workbench.core.errors import BlockError

WRITE_DIRS_SETTING = "write_dirs"


def writable_path(value: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None, node: str | None,
                  field: str) -> Path:
    """The path a block may write for the setting `value` of `node`.`field`.

    A relative `value` lies in the run folder `out_dir`; any path (relative or absolute, after `~`, `..` and symlinks
    are resolved) must end up inside `out_dir` or inside one of the operator policy's `write_dirs`. Returns the
    resolved absolute path, which the caller opens (not `value`). Refuses with BlockError('write_outside') naming
    the node, the field and the policy setting to change.

    With `out_dir=None` (validation before a run, or a preview without a run folder) a relative `value` is judged
    by its text alone (it must not climb out with '..') and is returned normalised and still relative.
    """
    raw = Path(os.fspath(value)).expanduser()
    if not raw.is_absolute():
        if out_dir is None:
            normal = Path(os.path.normpath(raw))
            if normal.parts[:1] == ("..",):
                _refuse(value, normal, node, field)
            return normal
        raw = Path(out_dir) / raw
    try:
        resolved = raw.resolve()
    except (OSError, RuntimeError):  # a symlink loop: nowhere to write
        _refuse(value, raw, node, field)
    roots = [Path(out_dir).expanduser().resolve()] if out_dir is not None else []
    if any(resolved.is_relative_to(root) for root in roots):
        return resolved
    from workbench.core.policy import operator_policy  # read only when needed: a plain run-folder file never reads it

    if any(resolved.is_relative_to(Path(d).expanduser().resolve()) for d in operator_policy().write_dirs):
        return resolved
    _refuse(value, resolved, node, field)


def _refuse(value: object, resolved: Path, node: str | None, field: str) -> NoReturn:
    from workbench.core.policy import policy_setting

    raise BlockError("write_outside", node, field, path=os.fspath(value), resolved=str(resolved),
                     setting=policy_setting(WRITE_DIRS_SETTING))
