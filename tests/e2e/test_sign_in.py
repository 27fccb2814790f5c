"""Sign-in in a real browser (Playwright + Debian's chromium against `streamlit run app.py`): the first admin from
the one-time token in the server's output, a refresh keeps the session (its cookie), sign-out ends it, a wrong
password is refused in Chinese. Screenshots: test-output/e2e/sign-in-*.png."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from e2e.harness import REPO, StreamlitServer, start_streamlit
from playwright.sync_api import expect

from workbench.core.errors import Problem
from workbench.core.i18n import t

pytestmark = pytest.mark.slow  # a Streamlit server and chromium

PASSWORD = "街道中心 2026 secret"


@pytest.fixture(scope="module")
def new_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    """The app on a home with no account at all."""
    with start_streamlit(REPO / "app.py", tmp_path_factory.mktemp("sign-in-home")) as server:
        yield server


def _token_in_log(server: StreamlitServer, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"valid 24 h\): (\S+)", server.log.read_text(encoding="utf-8", errors="replace"))
        if found:
            return found.group(1)
        time.sleep(0.3)
    raise AssertionError(f"no first-start token in {server.log}")


def _field(page, label_key: str):
    return page.get_by_label(t(label_key, "zh"), exact=True)


def test_first_admin_refresh_sign_out_and_a_wrong_password(new_server, page, wait_idle, shot):
    page.goto(new_server.url)
    wait_idle(page)
    expect(page.locator("h1").first).to_have_text(t("app.signin.title", "zh"))
    token = _token_in_log(new_server)
    assert token not in page.content()
    shot(page, "sign-in-first-start")
    _field(page, "app.signin.token").fill(token)
    _field(page, "app.signin.name").fill("王<b>管理员</b>")  # shown as text, never as HTML
    _field(page, "app.signin.district").fill("海淀")
    _field(page, "app.signin.new_password").fill(PASSWORD)
    _field(page, "app.signin.repeat_password").fill(PASSWORD)
    page.get_by_role("button", name=t("app.signin.create_admin", "zh")).click()
    wait_idle(page)
    expect(page.locator("h1").first).to_have_text(t("app.build.title", "zh"))
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_contain_text("王<b>管理员</b>")
    expect(sidebar).to_contain_text("海淀")
    shot(page, "sign-in-signed-in")

    page.goto(new_server.url + "/admin")  # the admin adds a builder; the audit trail shows who did it
    wait_idle(page)
    _field(page, "app.signin.name").fill("李四")
    _field(page, "app.admin.first_password").fill(PASSWORD)
    page.get_by_role("button", name=t("app.admin.add_button", "zh"), exact=True).click()
    wait_idle(page)
    expect(page.get_by_text(t("app.admin.added", "zh", name="李四"))).to_be_visible()
    shot(page, "sign-in-admin-accounts")
    page.get_by_role("tab", name=t("app.admin.tab.audit", "zh")).click()
    page.get_by_role("button", name=t("app.admin.verify", "zh")).click()
    wait_idle(page)
    expect(page.locator('[data-testid="stAlert"]').filter(has_text="第")).to_be_visible()
    shot(page, "sign-in-admin-audit")

    page.reload()  # the cookie keeps the session (and the page)
    wait_idle(page)
    expect(page.locator("h1").first).to_have_text(t("app.admin.title", "zh"))

    sidebar.get_by_role("button", name=t("app.account.sign_out", "zh")).click()
    wait_idle(page)
    expect(page.locator("h1").first).to_have_text(t("app.signin.title", "zh"))
    page.reload()  # the cookie is gone too
    wait_idle(page)
    expect(page.locator("h1").first).to_have_text(t("app.signin.title", "zh"))

    _field(page, "app.signin.name").fill("王<b>管理员</b>")
    _field(page, "app.signin.password").fill("not the password")
    page.get_by_role("button", name=t("app.signin.submit", "zh")).click()
    wait_idle(page)
    expect(page.get_by_text(Problem("sign_in_failed").message("zh"))).to_be_visible()
    shot(page, "sign-in-wrong-password")
    _field(page, "app.signin.password").fill(PASSWORD)
    page.get_by_role("button", name=t("app.signin.submit", "zh")).click()
    wait_idle(page)
    expect(page.locator("h1").first).to_have_text(t("app.build.title", "zh"))
