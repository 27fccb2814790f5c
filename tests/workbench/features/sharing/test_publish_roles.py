"""Who may publish, pull and trust (workbench.records.roles), on SQLite and PostgreSQL: a district's key signs only
for that district's publishers; every publish, pull and trust is in the audit trail."""

from __future__ import annotations

from pathlib import Path

import pytest
from sharing_support import DESCRIPTION

from workbench.core.errors import WorkbenchError
from workbench.features.sharing import keys
from workbench.features.sharing.local_store import LocalStore
from workbench.features.sharing.outbox import prepare, publish_version
from workbench.features.sharing.publish import publish
from workbench.features.sharing.pull import pull
from workbench.records import audit
from workbench.records.roles import Actor, os_login

ZONE = Path(__file__).resolve().parents[4] / "pipelines" / "restricted_zone_people.yaml"
HAIDIAN_PUBLISHER = Actor("ann", "haidian", frozenset({"publisher"}))


@pytest.fixture
def store(zoo_home: Path, database_url: str, tmp_path: Path) -> LocalStore:
    """A folder registry; this machine holds the signing keys of haidian and chaoyang."""
    keys.generate("haidian")
    keys.generate("chaoyang")
    return LocalStore(tmp_path / "registry")


def _publish(store: LocalStore, district: str, actor: Actor):
    return publish_version(ZONE, store, name="zone", version="1.0.0", district=district, description=DESCRIPTION,
                           actor=actor)


def test_a_publisher_of_one_district_cannot_publish_as_another(store: LocalStore) -> None:
    with pytest.raises(WorkbenchError) as refused:
        _publish(store, "chaoyang", HAIDIAN_PUBLISHER)
    (problem,) = refused.value.problems
    assert problem.code == "access_wrong_district"
    assert "haidian" in problem.message("en") and "chaoyang" in problem.message("zh")
    assert store.list_keys("") == []
    folder, manifest = prepare(ZONE, name="zone", version="1.0.0", district="chaoyang", description=DESCRIPTION)
    with pytest.raises(WorkbenchError):  # the signing step itself refuses too, whoever calls it
        publish(folder, manifest, store, actor=HAIDIAN_PUBLISHER)
    assert store.list_keys("") == []
    published = _publish(store, "haidian", HAIDIAN_PUBLISHER)
    (entry,) = audit.entries(action="registry.publish")
    assert (entry.actor, entry.target) == ("ann", published.key)


def test_a_viewer_is_told_which_role_publishes(store: LocalStore) -> None:
    viewer = Actor("vic", "haidian", frozenset({"viewer"}))
    with pytest.raises(WorkbenchError) as refused:
        _publish(store, "haidian", viewer)
    (problem,) = refused.value.problems
    assert problem.code == "access_denied"
    assert "publish algorithms with the district's key" in problem.message("en") and "publisher" in problem.message()
    assert "发布者" in problem.message("zh") and "用本区密钥发布算法" in problem.message("zh")


def test_pull_and_trust_need_their_roles_and_are_recorded(store: LocalStore, tmp_path: Path) -> None:
    _publish(store, "haidian", HAIDIAN_PUBLISHER)
    viewer, builder = (Actor(n, "chaoyang", frozenset({r})) for n, r in (("vic", "viewer"), ("bo", "builder")))
    with pytest.raises(WorkbenchError) as refused:
        pull(store, "haidian", "zone", "1.0.0", tmp_path / "a", actor=viewer)
    assert refused.value.problems[0].code == "access_denied" and not (tmp_path / "a").exists()
    pull(store, "haidian", "zone", "1.0.0", tmp_path / "b", actor=builder)
    with pytest.raises(WorkbenchError):
        keys.trust(keys.export_public("haidian"), "haidian", actor=builder)
    assert [(e.actor, e.action) for e in audit.entries(action="registry.pull")] == [("bo", "registry.pull")]
    assert {e.actor for e in audit.entries(action="keys.trust")} == {f"system:{_login()}"}  # keys generate trusts


def _login() -> str:
    return os_login()
