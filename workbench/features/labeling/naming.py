"""One way to name a Label Studio project everywhere (`--project gate` or `--project 3`): its exact title, or its id.

Digits name an id or a title made of digits; anything else names a title. A name that fits no project is a problem
listing the projects there are; a name that fits several (two projects with one title, or an id that is another
project's title) is a problem listing those, so the user can give the id. The same rule finds a pulled project's
store on this machine (`workbench dataset build --project`), with no server needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import Problem, WorkbenchError

OPTION = "--project"
LISTED = 20  # projects named in a problem


@dataclass(frozen=True)
class ProjectName:
    """What names a project: id and title, and (for a pulled store) the server folder it was pulled from."""

    id: int
    title: str
    server: str = ""

    def label(self) -> str:
        where = f" @ {self.server}" if self.server else ""
        return f"#{self.id} '{self.title}'{where}"


def fits(name: int | str, project: ProjectName) -> bool:
    """True when `name` is the project's id (digits) or its exact title."""
    text = str(name).strip()
    return (text.isdigit() and int(text) == project.id) or project.title == text


def listing(projects: Sequence[ProjectName]) -> str:
    """`#1 'gate', #2 'cars'` (at most LISTED, then how many more), or `-` when there are none."""
    shown = ", ".join(p.label() for p in projects[:LISTED])
    more = len(projects) - LISTED
    return (shown + (f", ... (+{more})" if more > 0 else "")) or "-"


def choose(name: int | str, projects: Sequence[ProjectName], *, unknown: str, ambiguous: str,
           field: str = OPTION, node: str | None = "labelstudio", **params: object) -> int | None:
    """Index of the one project `name` fits; None when it fits none (the caller decides: create, or `unknown`).

    Several fits raise `ambiguous`; `unknown` is raised here when it is not empty.
    """
    found = [i for i, p in enumerate(projects) if fits(name, p)]
    if len(found) > 1:
        raise WorkbenchError([Problem(ambiguous, node=node, field=field, params={
            "project": str(name).strip(), "option": field, "matches": listing([projects[i] for i in found]),
            **params})])
    if not found and unknown:
        raise WorkbenchError([Problem(unknown, node=node, field=field, params={
            "project": str(name).strip(), "option": field, "projects": listing(projects), **params})])
    return found[0] if found else None


@dataclass(frozen=True)
class PulledStore:
    """A project pulled into this machine: its name and its store folder."""

    name: ProjectName
    store: Path


def pulled_stores(server: str | None = None, home: Path | None = None) -> list[PulledStore]:
    """Every pulled project store (`<home>/labeling/<server>/project-<id>/`), of one server folder or of all."""
    import json

    from workbench.core.paths import workbench_home

    root = (home or workbench_home()) / "labeling"
    found = []
    for state in sorted(root.glob(f"{server or '*'}/project-*/state.json")):
        try:
            project = json.loads(state.read_text(encoding="utf-8")).get("project") or {}
            name = ProjectName(int(project["id"]), str(project.get("title", "")), state.parent.parent.name)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # a damaged or half-written store names nothing
        found.append(PulledStore(name, state.parent))
    return found


def find_store(name: int | str, server: str | None = None, home: Path | None = None) -> Path:
    """The store of the pulled project `name` (title or id), of one server folder or, with None, of any."""
    stores = pulled_stores(server, home)
    index = choose(name, [s.name for s in stores], unknown="dataset_unknown_project",
                   ambiguous="dataset_project_ambiguous", node=None, server=server or "*")
    assert index is not None
    return stores[index].store
