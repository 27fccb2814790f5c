"""The app before and after sign-in (AppTest over app.py): nothing but the sign-in page without a session; the first
admin from the token printed in the server's output; refusals in the user's language; sign-out ends the session."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest
from ui_support import APP, TESTER, TESTER_PASSWORD, app_test, signed_in

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import t
from workbench.records.accounts import add_user
from workbench.records.sign_in import validate_session

PASSWORD = "a long enough secret"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _fresh(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = lang
    return at.run()


def _titles(at: AppTest) -> list[str]:
    return [e.value for e in at.title]


def test_nobody_signed_in_sees_only_the_sign_in_page(home):
    add_user(None, "li", PASSWORD, ["builder"])
    at = _fresh()
    assert not at.exception, at.exception
    assert _titles(at) == [t("app.signin.title", "zh")]
    assert "session_token" not in at.session_state and not at.sidebar.button  # no account panel, no sign-out


def test_the_first_admin_comes_from_the_token_printed_in_the_servers_output(home, capsys):
    at = _fresh("en")
    printed = capsys.readouterr().out
    token = re.search(r"valid 24 h\): (\S+)", printed).group(1)
    shown = [e.value for kind in (at.markdown, at.caption, at.info, at.text_input) for e in kind]
    assert shown and token not in str(shown)  # never on the page
    at.text_input(key="first_token").input("not-the-token")
    at.text_input(key="first_name").input("wang")
    at.text_input(key="first_password").input(PASSWORD)
    at.text_input(key="first_again").input(PASSWORD)
    at.button[0].click().run()
    assert [e.value for e in at.error] == [Problem("setup_token_invalid").message("en")]
    at.text_input(key="first_token").input(token)
    at.text_input(key="first_again").input(PASSWORD + "x")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [t("app.signin.passwords_differ", "en")]
    at.text_input(key="first_again").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert _titles(at) == ["Build"]
    actor = validate_session(at.session_state["session_token"])
    assert actor.name == "wang" and actor.roles == {"admin"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_wrong_password_is_refused_in_the_users_language_and_the_right_one_opens_the_app(home, lang):
    add_user(None, "li", PASSWORD, ["builder"], "haidian")
    at = _fresh(lang)
    at.text_input(key="signin_name").input("li")
    at.text_input(key="signin_password").input("wrong password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [Problem("sign_in_failed").message(lang)]
    assert _titles(at) == [t("app.signin.title", lang)]
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click().run()
    assert _titles(at) == [t("app.build.title", lang)]
    signed = " ".join(c.value for c in at.sidebar.caption)
    assert "li" in signed and "haidian" in signed and t("role.builder", lang) in signed


def test_sign_out_ends_the_session_everywhere(home):
    at = app_test().run()
    token = at.session_state["session_token"]
    assert validate_session(token).name == TESTER
    at.sidebar.button(key="account_sign_out").click().run()
    assert _titles(at) == [t("app.signin.title", "zh")]
    with pytest.raises(WorkbenchError) as err:
        validate_session(token)  # a copy of the cookie no longer works
    assert err.value.problems[0].code == "session_invalid"


def test_a_forged_session_token_shows_the_sign_in_page_and_says_why(home):
    add_user(None, "li", PASSWORD, ["viewer"])
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["session_token"] = "forged-token"
    at.run()
    assert _titles(at) == [t("app.signin.title", "zh")]
    assert [e.value for e in at.info] == [Problem("session_invalid").message("zh")]


def test_a_password_change_needs_the_current_password(home):
    at = app_test().run()
    form = {"account_old": "wrong password", "account_new": PASSWORD, "account_again": PASSWORD}
    for key, value in form.items():
        at.sidebar.text_input(key=key).input(value)
    at.sidebar.button[1].click().run()
    assert [e.value for e in at.sidebar.error] == [Problem("sign_in_failed").message("zh")]
    at.sidebar.text_input(key="account_old").input(TESTER_PASSWORD)
    for key in ("account_new", "account_again"):
        at.sidebar.text_input(key=key).input(PASSWORD)
    at.sidebar.button[1].click().run()
    assert [e.value for e in at.sidebar.success] == [t("app.account.password_changed", "zh")]
    with pytest.raises(WorkbenchError):
        signed_in(AppTest.from_file(APP))  # the old password no longer signs in


def test_a_refusal_shown_on_a_page_names_roles_in_the_pages_language_and_the_name_as_written():
    from workbench.apps.ui.plain_text import plain_problem
    from workbench.records.roles import Actor, Permission, require

    with pytest.raises(WorkbenchError) as refused:
        require(Actor("li_[x](http://a.b)", "haidian", frozenset({"viewer"})), Permission.RUNS_START)
    shown = plain_problem(refused.value.problems[0], "zh", where=False)
    assert t("role.builder", "zh") in shown and t("permission.runs.start", "zh") in shown  # not the English text
    assert "](http" not in shown  # the name cannot become a link
