"""Where pipelines live for the app: the user's saved pipelines and the bundled templates (read-only)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import PipelineInvalid, Problem
from workbench.core.paths import user_pipelines_dir
from workbench.engine.credentials import credential_problems
from workbench.engine.spec import PipelineSpec, load_spec, save_spec
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require

BUNDLED_DIR = Path(__file__).resolve().parents[3] / "pipelines"
_FILE_NAME = re.compile(r"^[\w-]{1,80}$")  # letters (Chinese included), digits, _ and -


@dataclass(frozen=True)
class PipelineEntry:
    """One pipeline file the app can open."""

    name: str  # file stem
    path: Path
    bundled: bool
    title: str  # meta.name, or the stem when the file cannot be read


def user_dir() -> Path:
    """The user's saved pipelines: `<WORKBENCH_HOME>/pipelines`."""
    return user_pipelines_dir()


def list_pipelines() -> list[PipelineEntry]:
    """The user's pipelines first (by name), then the bundled templates."""
    entries = []
    for folder, bundled in ((user_dir(), False), (BUNDLED_DIR, True)):
        for path in sorted(folder.glob("*.yaml")):
            try:
                title = load_spec(path).meta.name
            except PipelineInvalid:
                title = path.stem
            entries.append(PipelineEntry(path.stem, path, bundled, title))
    return entries


def check_file_name(name: str) -> Problem | None:
    """A problem when `name` cannot be a pipeline file name, else None."""
    if not _FILE_NAME.match(name.strip()):
        return Problem("pipeline_file_name", field="name", params={"name": name})
    return None


def path_for(name: str) -> Path:
    return user_dir() / f"{name.strip()}.yaml"


def save_pipeline(spec: PipelineSpec, name: str, overwrite: bool = True, actor: Actor | None = None) -> Path:
    """Save into the user's folder; refuse bad names and (unless `overwrite`) existing files."""
    actor = require(actor, Permission.PIPELINES_EDIT)
    problem = check_file_name(name)
    if problem:
        raise PipelineInvalid([problem])
    path = path_for(name)
    if path.exists() and not overwrite:
        raise PipelineInvalid([Problem("pipeline_exists", field="name", params={"name": name.strip()})])
    path.parent.mkdir(parents=True, exist_ok=True)
    before = file_digest(path)
    save_spec(spec, path, private=bool(credential_problems(spec)))  # a camera password: readable by its owner only
    audit.record(actor, "pipeline.save", path.name, before=before, after=file_digest(path))
    return path


def delete_pipeline(name: str, actor: Actor | None = None) -> None:
    """Delete a saved pipeline of the user's folder (bundled templates are not there); `pipeline_file_name` for a
    bad name."""
    actor = require(actor, Permission.PIPELINES_EDIT)
    problem = check_file_name(name)
    if problem:
        raise PipelineInvalid([problem])
    path = path_for(name)
    if path.exists():
        before = file_digest(path)
        path.unlink()
        audit.record(actor, "pipeline.delete", path.name, before=before)


def file_digest(path: Path) -> dict[str, str] | None:
    """What the audit trail keeps of a pipeline file: its sha256 (None when there is no file)."""
    return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()} if path.is_file() else None


def free_name(base: str) -> str:
    """`base`, or `base_2`, `base_3`... whichever is not taken in the user's folder."""
    base = re.sub(r"[^\w-]+", "_", base).strip("_")[:70] or "pipeline"
    name, n = base, 2
    while path_for(name).exists():
        name, n = f"{base}_{n}", n + 1
    return name
