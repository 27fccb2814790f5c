"""The functions pages call check the signed-in person's role themselves (issue 16: "enforced in the functions the
pages call, not by hiding buttons"), on SQLite and PostgreSQL; what they do is in the audit trail."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.apps.ui import library
from workbench.core.errors import WorkbenchError
from workbench.engine.spec import load_spec
from workbench.jobs import runs
from workbench.records import audit
from workbench.records.roles import Actor

PIPELINE = Path(__file__).resolve().parents[3] / "pipelines" / "restricted_zone_people.yaml"
VIEWER = Actor("vic", "haidian", frozenset({"viewer"}))
BUILDER = Actor("<b>bo</b>", "haidian", frozenset({"builder"}))


def test_a_viewer_calling_a_builders_function_gets_the_refusal_in_their_language(
        database_url: str, zoo_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load_spec(PIPELINE)
    with pytest.raises(WorkbenchError) as refused:
        runs.start_run(spec, runs.RunRequest(max_frames=1), actor=VIEWER)
    (problem,) = refused.value.problems
    assert problem.code == "access_denied" and problem.field == "runs.start"
    assert problem.message("en").startswith("vic may not start and cancel runs: that needs the role builder")
    assert "启动和取消运行" in problem.message("zh") and "构建者" in problem.message("zh")
    assert runs.list_runs() == []  # nothing was started
    with pytest.raises(WorkbenchError) as refused:
        library.save_pipeline(spec, "mine", actor=VIEWER)
    assert refused.value.problems[0].field == "pipelines.edit" and not library.path_for("mine").exists()
    assert audit.count() == 0


def test_a_builder_saves_deletes_and_cancels_and_the_trail_names_them(database_url: str, zoo_home: Path) -> None:
    spec = load_spec(PIPELINE)
    path = library.save_pipeline(spec, "mine", actor=BUILDER)
    library.save_pipeline(spec, "mine", actor=BUILDER)
    library.delete_pipeline("mine", actor=BUILDER)
    assert not path.exists()
    saved, resaved, deleted = audit.entries(action="pipeline")
    assert (saved.actor, saved.action, saved.target) == ("<b>bo</b>", "pipeline.save", "mine.yaml")
    assert saved.values()[0] is None and resaved.values()[0] == saved.values()[1] == deleted.values()[0]
    run_id = runs.start_run(spec, runs.RunRequest(max_frames=1), actor=BUILDER)
    runs.cancel_run(run_id, actor=BUILDER)
    assert [(e.action, e.target) for e in audit.entries(action="run")] == [("run.start", run_id),
                                                                           ("run.cancel", run_id)]
    assert audit.verify()[1] is None
