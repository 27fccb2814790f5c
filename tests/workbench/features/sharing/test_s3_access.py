"""Access control on a real S3 server (SeaweedFS with one credential per district): read everything, write and
delete only under your own district's prefix; wrong credentials refused; the secret never shows anywhere.
The local folder with a district behaves the same way, so both backends fail alike."""

from __future__ import annotations

import logging

import pytest
from services.ports import free_ports
from services.seaweedfs import district_actions, seaweedfs

from workbench.features.sharing.config import open_store, registry_settings
from workbench.features.sharing.local_store import LocalStore
from workbench.features.sharing.s3_store import S3Store
from workbench.features.sharing.store import StoreError

BUCKET = "registry"
SOUTH_RELEASE = "south/bikes/1.0.0/release.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    districts = {d: district_actions(BUCKET, d) for d in ("north", "south")}
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs"), districts=districts) as s3:
        s3.minio().make_bucket(BUCKET)
        south = S3Store(s3.endpoint, BUCKET, *s3.identities["south"])
        assert south.put_bytes_if_absent(SOUTH_RELEASE, b'{"district": "south"}')
        yield s3


def s3_env(server, district: str, secret: str | None = None) -> dict[str, str]:
    access, real_secret = server.identities[district]
    return {"WORKBENCH_REGISTRY_URL": f"s3://{BUCKET}", "WORKBENCH_REGISTRY_ENDPOINT": server.endpoint,
            "WORKBENCH_REGISTRY_ACCESS_KEY": access, "WORKBENCH_REGISTRY_SECRET_KEY": secret or real_secret,
            "WORKBENCH_REGISTRY_DISTRICT": district}


@pytest.fixture(params=["s3", "local"])
def north(request, tmp_path):
    """North's store: S3 with north's credentials (opened from the environment settings), or a local folder."""
    if request.param == "local":
        LocalStore(tmp_path, district="south").put_bytes_if_absent(SOUTH_RELEASE, b'{"district": "south"}')
        return LocalStore(tmp_path, district="north")
    return open_store(registry_settings(s3_env(request.getfixturevalue("server"), "north")))


def code_of(call) -> StoreError:
    with pytest.raises(StoreError) as caught:
        call()
    return caught.value


def test_a_district_reads_everything_but_writes_and_deletes_only_its_own_prefix(north, tmp_path):
    assert north.get_bytes(SOUTH_RELEASE) == b'{"district": "south"}'
    assert north.list_keys("south/") == [SOUTH_RELEASE]
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"\0" * 1000)
    for call in (lambda: north.put_bytes_if_absent("south/bikes/2.0.0/release.json", b"{}"),
                 lambda: north.put_file("south/bikes/1.0.0/uploads/evil/w.pt", weights),
                 lambda: north.delete_prefix("south/bikes/1.0.0/")):
        error = code_of(call)
        assert error.code == "registry_access_denied" and error.problems[0].field.startswith("WORKBENCH_REGISTRY_")
    assert north.get_bytes(SOUTH_RELEASE) == b'{"district": "south"}'  # nothing was overwritten or deleted
    assert north.list_keys("south/") == [SOUTH_RELEASE]
    assert north.put_bytes_if_absent("north/cars/1.0.0/release.json", b"{}") is True
    north.put_file("north/cars/1.0.0/uploads/u1/w.pt", weights)
    north.delete_prefix("north/cars/1.0.0/uploads/")
    assert north.list_keys("north/") == ["north/cars/1.0.0/release.json"]


def test_a_district_cannot_start_a_large_upload_under_another_prefix(server, tmp_path):
    north = S3Store(server.endpoint, BUCKET, *server.identities["north"], part_size=5 * 1024 * 1024)
    big = tmp_path / "big.pt"
    big.write_bytes(b"\1" * (11 * 1024 * 1024))  # three parts: the multipart calls are refused too
    assert code_of(lambda: north.put_file("south/bikes/1.0.0/uploads/evil/big.pt", big)).code == \
        "registry_access_denied"
    assert server.minio()._list_multipart_uploads(BUCKET, prefix="south/").uploads == []


@pytest.mark.parametrize(("which", "field"), [("secret", "WORKBENCH_REGISTRY_SECRET_KEY"),
                                         ("access", "WORKBENCH_REGISTRY_ACCESS_KEY")])
def test_wrong_credentials_are_refused(server, which, field):
    access, secret = server.identities["north"]
    store = S3Store(server.endpoint, BUCKET, "nobody" if which == "access" else access,
                    "x" * 40 if which == "secret" else secret)
    for call in (lambda: store.get_bytes(SOUTH_RELEASE), lambda: store.exists(SOUTH_RELEASE),
                 lambda: store.list_keys(""), lambda: store.put_bytes_if_absent("north/x/1.0.0/release.json", b"")):
        error = code_of(call)
        assert (error.code, error.problems[0].field) == ("registry_bad_credentials", field)


def test_a_server_that_does_not_answer_is_registry_unreachable():
    store = S3Store(f"http://127.0.0.1:{free_ports(1)[0]}", BUCKET, "key", "secret-value")
    error = code_of(lambda: store.get_bytes(SOUTH_RELEASE))
    assert (error.code, error.problems[0].field) == ("registry_unreachable", "WORKBENCH_REGISTRY_ENDPOINT")


def test_the_secret_never_shows_in_describe_repr_errors_or_logs(server, caplog):
    caplog.set_level(logging.DEBUG)
    access, secret = server.identities["north"]
    settings = registry_settings(s3_env(server, "north"))
    store = open_store(settings)
    texts = [store.describe(), repr(store), repr(settings), str(settings)]
    wrong = open_store(registry_settings(s3_env(server, "north", secret="y" * 40)))
    errors = [code_of(lambda: store.get_bytes("north/none")), code_of(lambda: wrong.list_keys("")),
              code_of(lambda: store.put_bytes_if_absent("south/x/1.0.0/release.json", b"{}")),
              code_of(lambda: S3Store("http://127.0.0.1:1", BUCKET, access, secret).exists("north/x"))]
    assert [e.code for e in errors] == ["registry_not_found", "registry_bad_credentials", "registry_access_denied",
                                        "registry_unreachable"]
    for error in errors:
        texts += [str(error), repr(error), *(p.message(lang) for p in error.problems for lang in ("en", "zh"))]
        assert error.__cause__ is None and error.__suppress_context__  # no SDK exception chained into tracebacks
    assert all(not t.startswith("problem.") for t in texts[4:]), "messages are not rendered"
    assert access in store.describe()  # the access key id is not secret and helps the operator
    for text in [*texts, caplog.text]:
        assert secret not in text and "y" * 40 not in text
