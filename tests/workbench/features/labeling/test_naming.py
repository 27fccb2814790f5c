"""One way to name a project (title or id) for push, pull and dataset build; unknown and ambiguous names are problems
naming --project and listing the projects (no server: pulled stores on disk and a stand-in client)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from workbench.apps.cli import main
from workbench.core.errors import WorkbenchError
from workbench.features.labeling.config import label_config
from workbench.features.labeling.naming import ProjectName, choose, find_store
from workbench.features.labeling.projects import ensure_project, get_project

CLASSES = ["truck", "car"]


def _store(home: Path, server: str, project_id: int, title: str, root: Path, clips=("cam1", "cam2")) -> Path:
    """A pulled project as `workbench labelstudio pull` leaves it: state.json + one labeled task per clip."""
    store = home / "labeling" / server / f"project-{project_id}"
    (store / "tasks").mkdir(parents=True)
    for task, clip in enumerate(clips, start=1):
        image = root / "frames" / clip / f"{project_id}_{task}.png"
        image.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(image), np.full((90, 160, 3), 40 * task, np.uint8))
        result = [{"type": "rectanglelabels", "value": {"x": 10, "y": 10, "width": 20, "height": 30,
                                                        "rectanglelabels": ["car"]}}]
        (store / "tasks" / f"{task}.json").write_text(json.dumps({
            "task": task, "data": {"source": image.relative_to(root).as_posix(), "clip": clip},
            "annotation": {"id": task, "result": result}}), encoding="utf-8")
    (store / "state.json").write_text(json.dumps({"cursor": None, "tasks": {}, "project": {
        "id": project_id, "title": title, "classes": CLASSES, "kind": "image"}}), encoding="utf-8")
    return store


def _clips(out: str) -> list[str]:
    built = json.loads(out)
    return sorted(built["train_clips"] + built["val_clips"])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.setenv("WORKBENCH_LANG", "en")
    return home


def test_a_name_is_an_id_or_an_exact_title():
    projects = [ProjectName(3, "gate"), ProjectName(4, "yard"), ProjectName(5, "3")]
    pick = {"unknown": "labelstudio_no_project", "ambiguous": "labelstudio_project_ambiguous"}
    assert choose("gate", projects, **pick) == 0
    assert choose(4, projects, **pick) == 1 and choose("4", projects, **pick) == 1
    assert choose("Gate", projects, unknown="", ambiguous="x") is None  # exact titles: no guessing
    with pytest.raises(WorkbenchError) as err:  # "3" is #3's id and #5's title
        choose("3", projects, **pick)
    (problem,) = err.value.problems
    assert problem.code == "labelstudio_project_ambiguous" and problem.field == "--project"
    assert "#3 'gate'" in problem.message("en") and "#5 '3'" in problem.message("en")


def test_dataset_build_takes_the_title_like_pull(home: Path, tmp_path: Path, capsys):
    """`workbench dataset build --project gate` (the README's usage) used to end in int('gate')."""
    root = tmp_path / "root"
    _store(home, "127.0.0.1_8080", 3, "gate", root)
    _store(home, "127.0.0.1_8080", 4, "yard", root, clips=("cam3", "cam4"))
    assert main(["dataset", "build", "--project", "gate", "--document-root", str(root), "--json"]) == 0
    assert _clips(capsys.readouterr().out) == ["cam1", "cam2"]
    assert main(["dataset", "build", "--project", "4", "--document-root", str(root), "--json"]) == 0  # the id too
    assert _clips(capsys.readouterr().out) == ["cam3", "cam4"]


def test_an_unknown_title_names_the_option_and_lists_the_pulled_projects(home: Path, tmp_path: Path, capsys):
    root = tmp_path / "root"
    _store(home, "127.0.0.1_8080", 3, "gate", root)
    _store(home, "127.0.0.1_8080", 4, "yard", root, clips=("cam3", "cam4"))
    assert main(["dataset", "build", "--project", "gates", "--document-root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "--project 'gates'" in err and "#3 'gate'" in err and "#4 'yard'" in err
    assert "workbench labelstudio pull --project gates" in err
    assert main(["--lang", "zh", "dataset", "build", "--project", "gates", "--document-root", str(root)]) == 1
    assert "已拉取的项目" in capsys.readouterr().err


def test_the_same_title_on_two_servers_is_ambiguous_until_the_server_is_named(home: Path, tmp_path: Path, capsys):
    root = tmp_path / "root"
    first = _store(home, "127.0.0.1_8080", 3, "gate", root)
    _store(home, "10.1.2.3_8080", 7, "gate", root, clips=("cam5", "cam6"))
    with pytest.raises(WorkbenchError) as err:
        find_store("gate")
    (problem,) = err.value.problems
    assert problem.code == "dataset_project_ambiguous" and "--url" in problem.message("en")
    assert find_store("gate", "127.0.0.1_8080") == first
    assert main(["dataset", "build", "--project", "gate", "--url", "http://127.0.0.1:8080",
                 "--document-root", str(root), "--json"]) == 0
    assert _clips(capsys.readouterr().out) == ["cam1", "cam2"]


@dataclass
class _Project:
    id: int
    title: str
    label_config: str


class _Projects:
    def __init__(self, projects: list[_Project]) -> None:
        self.items = projects
        self.created: list[str] = []

    def list(self):
        return list(self.items)

    def create(self, title: str, label_config: str):
        project = _Project(max(p.id for p in self.items) + 1, title, label_config)
        self.items.append(project)
        self.created.append(title)
        return project


class _Client:
    """Just the part of the SDK client that naming uses."""

    def __init__(self, projects: list[_Project]) -> None:
        self.projects = _Projects(projects)


def test_push_and_pull_take_a_title_or_an_id():
    config = label_config(CLASSES)
    client = _Client([_Project(3, "gate", config), _Project(4, "yard", config)])
    assert get_project(client, "gate").id == 3 and get_project(client, "4").title == "yard"
    assert ensure_project(client, "3", CLASSES).title == "gate"  # push --project 3: the existing project #3
    assert ensure_project(client, "new site", CLASSES).id == 5 and client.projects.created == ["new site"]
    with pytest.raises(WorkbenchError) as err:
        get_project(client, "gates")
    (problem,) = err.value.problems
    assert problem.code == "labelstudio_no_project" and problem.field == "--project"
    text = problem.message("en")
    assert "--project 'gates'" in text and "#3 'gate'" in text and "#4 'yard'" in text
    with pytest.raises(WorkbenchError) as err:  # digits that are no id would become a title that reads as an id
        ensure_project(client, "12", CLASSES)
    assert err.value.problems[0].code == "labelstudio_new_title_digits"
    client.projects.items.append(_Project(9, "gate", config))
    with pytest.raises(WorkbenchError) as err:
        get_project(client, "gate")
    assert err.value.problems[0].code == "labelstudio_project_ambiguous"
    assert "#9 'gate'" in err.value.problems[0].message("zh")
