"""Registry settings from the environment: the local folder by default, s3://BUCKET with an endpoint and this
district's credentials, and a problem naming the setting (and how to fix it) for anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.features.sharing.config import open_store, registry_settings
from workbench.features.sharing.local_store import LocalStore
from workbench.features.sharing.s3_store import S3Store
from workbench.features.sharing.store import StoreError

S3 = {"WORKBENCH_REGISTRY_URL": "s3://algorithms", "WORKBENCH_REGISTRY_ENDPOINT": "http://10.0.0.5:9000",
      "WORKBENCH_REGISTRY_ACCESS_KEY": "north-key", "WORKBENCH_REGISTRY_SECRET_KEY": "s3cr3t-north-value",
      "WORKBENCH_REGISTRY_DISTRICT": "north"}


def test_default_is_a_local_folder_in_the_workbench_home(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    settings = registry_settings({})
    store = open_store(settings)
    assert isinstance(store, LocalStore) and store.root == (tmp_path / "home" / "registry").resolve()
    assert settings.district == "local" == store.district  # the local folder, too, refuses other districts' writes
    assert store.put_bytes_if_absent("local/cars/1.0.0/release.json", b"{}")
    assert (tmp_path / "home" / "registry" / "local" / "cars" / "1.0.0" / "release.json").read_bytes() == b"{}"


@pytest.mark.parametrize("url", ["{folder}", "file://{folder}"])
def test_a_folder_or_file_url_is_a_local_store(tmp_path, url):
    settings = registry_settings({"WORKBENCH_REGISTRY_URL": url.format(folder=tmp_path / "shared"),
                                  "WORKBENCH_REGISTRY_DISTRICT": "haidian"})
    store = open_store(settings)
    assert isinstance(store, LocalStore) and store.root == (tmp_path / "shared").resolve()
    with pytest.raises(StoreError) as caught:
        store.put_bytes_if_absent("chaoyang/cars/1.0.0/release.json", b"{}")
    assert caught.value.code == "registry_access_denied"


def test_s3_url_with_endpoint_and_credentials_is_an_s3_store():
    settings = registry_settings(S3)
    store = open_store(settings)
    assert isinstance(store, S3Store) and (store.bucket, store.endpoint, store.secure) == \
        ("algorithms", "http://10.0.0.5:9000", False)
    assert settings.district == "north"
    for text in (repr(settings), str(settings), repr(store), store.describe()):
        assert "s3cr3t-north-value" not in text
    https = open_store(registry_settings({**S3, "WORKBENCH_REGISTRY_ENDPOINT": "https://s3.example.org"}))
    assert https.secure and https.endpoint == "https://s3.example.org"


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"WORKBENCH_REGISTRY_URL": "http://10.0.0.5:9000/algorithms"}, "registry_bad_url", "WORKBENCH_REGISTRY_URL"),
    ({"WORKBENCH_REGISTRY_URL": "minio://algorithms"}, "registry_bad_url", "WORKBENCH_REGISTRY_URL"),
    ({"WORKBENCH_REGISTRY_URL": "s3://Algorithms_2"}, "registry_bad_url", "WORKBENCH_REGISTRY_URL"),
    ({"WORKBENCH_REGISTRY_URL": "s3://algorithms/sub/folder"}, "registry_bad_url", "WORKBENCH_REGISTRY_URL"),
    ({"WORKBENCH_REGISTRY_ENDPOINT": ""}, "registry_setting_missing", "WORKBENCH_REGISTRY_ENDPOINT"),
    ({"WORKBENCH_REGISTRY_ENDPOINT": "10.0.0.5:9000"}, "registry_bad_endpoint", "WORKBENCH_REGISTRY_ENDPOINT"),
    ({"WORKBENCH_REGISTRY_ENDPOINT": "http://10.0.0.5:9000/bucket"}, "registry_bad_endpoint",
     "WORKBENCH_REGISTRY_ENDPOINT"),
    ({"WORKBENCH_REGISTRY_ACCESS_KEY": " "}, "registry_setting_missing", "WORKBENCH_REGISTRY_ACCESS_KEY"),
    ({"WORKBENCH_REGISTRY_SECRET_KEY": ""}, "registry_setting_missing", "WORKBENCH_REGISTRY_SECRET_KEY"),
    ({"WORKBENCH_REGISTRY_DISTRICT": "North District"}, "registry_bad_district", "WORKBENCH_REGISTRY_DISTRICT"),
    ({"WORKBENCH_REGISTRY_DISTRICT": "../south"}, "registry_bad_district", "WORKBENCH_REGISTRY_DISTRICT"),
])
def test_wrong_settings_name_the_setting_to_fix(changes, code, field):
    with pytest.raises(StoreError) as caught:
        registry_settings({**S3, **changes})
    problem = caught.value.problems[0]
    assert (problem.code, problem.field) == (code, field)
    assert "s3cr3t-north-value" not in str(caught.value)


def test_relative_folder_is_resolved_against_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = open_store(registry_settings({"WORKBENCH_REGISTRY_URL": "team-registry"}))
    assert isinstance(store, LocalStore) and store.root == Path(tmp_path / "team-registry").resolve()


def test_where_the_registry_is_reads_in_the_users_language(tmp_path):
    from workbench.core.i18n import t

    local = LocalStore(tmp_path / "reg")
    s3 = open_store(registry_settings(S3))
    for store in (local, s3):
        zh, en = store.describe("zh"), store.describe("en")
        assert zh != en and "s3cr3t" not in zh + en
    assert local.describe("zh") == t("registry.where_local", "zh", path=str(local.root))
    assert "algorithms" in s3.describe("zh") and "10.0.0.5:9000" in s3.describe("zh")
