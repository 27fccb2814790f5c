"""The Admin page (AppTest over app.py): listed for admins only, and refusing a non-admin even when called; accounts
added, re-roled and disabled there land in the audit trail with who did it, which the page filters, checks and
exports."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from ui_support import APP, app_test, signed_in

from workbench.apps.ui.pages import PAGES, lazy_page
from workbench.core.i18n import t
from workbench.records import audit
from workbench.records.accounts import get_user
from workbench.records.sign_in import sign_in

PASSWORD = "a long enough secret"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _page_only(name: str, roles: tuple[str, ...]) -> AppTest:
    """The Admin page function alone, for `name` signed in (the router's gate run first, as in the app)."""
    def page() -> None:
        from workbench.apps.ui.pages import all_pages
        from workbench.apps.ui.pages.admin import admin_page

        all_pages()
        admin_page()

    return signed_in(AppTest.from_function(page, default_timeout=60), name, roles)


def test_the_admin_page_is_listed_for_admins_only(home):
    assert "admin" in PAGES and callable(lazy_page("admin", "admin_page"))
    admin = app_test().run()
    assert "admin" in admin.session_state["pages"]
    viewer = signed_in(AppTest.from_file(APP, default_timeout=60), "zhao", ("viewer",)).run()
    assert "admin" not in viewer.session_state["pages"]


def test_a_viewer_calling_the_admin_page_directly_is_refused_in_chinese(home):
    at = _page_only("zhao", ("viewer",)).run()
    assert not at.exception, at.exception
    refusal = [e.value for e in at.error]
    assert refusal and "zhao" in refusal[0] and t("permission.users.manage", "zh") in refusal[0]
    assert not at.dataframe  # no account is listed


def test_accounts_changed_on_the_page_are_in_the_audit_trail_which_the_page_checks_and_exports(home):
    at = _page_only("root", ("admin",)).run()
    for key, value in (("admin_add_name", "li<script>"), ("admin_add_district", "海淀"),
                       ("admin_add_password", PASSWORD)):
        at.text_input(key=key).input(value)
    at.multiselect(key="admin_add_roles").set_value(["builder"])
    at.button[0].click().run()  # the add form's submit
    assert not at.exception, at.exception
    assert t("app.admin.added", "zh", name="li<script>") in [s.value for s in at.success]
    assert get_user("li<script>").roles == {"builder"}
    assert sign_in("li<script>", PASSWORD).actor.district == "海淀"

    at.selectbox(key="admin_user").set_value("li<script>").run()
    at.multiselect(key="admin_roles::li<script>").set_value(["builder", "trainer"]).run()
    at.button(key="admin_save_roles").click().run()
    at.button(key="admin_toggle").click().run()
    user = get_user("li<script>")
    assert user.roles == {"builder", "trainer"} and user.disabled

    records = [(e.actor, e.action, e.target) for e in audit.entries(action="user")]
    assert records[-3:] == [("root", "user.add", "li<script>"), ("root", "user.roles", "li<script>"),
                            ("root", "user.disable", "li<script>")]
    at.text_input(key="audit_action").input("user.roles").run()
    (table,) = [d.value for d in at.dataframe if "user.roles" in d.value.to_string()]
    assert len(table) == 1 and "trainer" in table.iloc[0][t("app.admin.col.after", "zh")]
    at.button(key="audit_verify").click().run()
    (ok,) = [s.value for s in at.success if "No." in s.value or "第" in s.value]
    assert str(audit.count()) in ok


def test_the_last_admin_cannot_take_away_their_own_admin_role(home):
    at = _page_only("root", ("admin",)).run()
    at.selectbox(key="admin_user").set_value("root").run()
    at.multiselect(key="admin_roles::root").set_value(["viewer"]).run()
    at.button(key="admin_save_roles").click().run()
    assert any("root" in e.value for e in at.error)
    assert get_user("root").roles == {"admin"}
