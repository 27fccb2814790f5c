"""The app in a real browser: opens in Chinese, switches to English, and the block catalog finds a block by search."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from workbench.core.i18n import t

pytestmark = pytest.mark.slow  # a Streamlit server and chromium: 30-45 s on 2 busy cores

NAV = '[data-testid="stSidebarNav"]'
PAGES = (("", "app.build.title"), ("run", "app.run.title"), ("blocks", "app.blocks.title"))  # the default page is "/"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def nav_link(page, url_path: str):
    return page.locator(f'{NAV} a[href$="/{url_path}"]')


def test_app_opens_in_chinese_switches_to_english_and_finds_a_block(app_server, page, wait_idle, shot):
    app_server.sign_in(page)
    page.goto(app_server.url)
    wait_idle(page)
    expect(page.locator("h1").first).to_have_text(t("app.build.title", "zh"))  # the default page: Build
    for url_path, key in PAGES:
        assert CHINESE.search(t(key, "zh")), f"{key} has no Chinese text"
        expect(nav_link(page, url_path)).to_contain_text(t(key, "zh"))
    shot(page, "smoke-1-build-zh")

    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").filter(has_text=t("app.language", "zh")).click()
    page.get_by_role("option", name="English").click()
    wait_idle(page)
    expect(page.locator("h1").first).to_have_text(t("app.build.title", "en"))
    expect(nav_link(page, "blocks")).to_contain_text(t("app.blocks.title", "en"))

    nav_link(page, "blocks").click()
    wait_idle(page)
    expect(page).to_have_url(re.compile(r"/blocks\?lang=en$"))  # the language stays in the address
    expect(page.locator("h1").first).to_have_text(t("app.blocks.title", "en"))
    search = page.get_by_label(t("app.blocks.search", "en"))
    search.fill("line")
    search.press("Enter")
    wait_idle(page)

    card = page.get_by_test_id("stExpander").filter(has_text="rules/line_crossing@v1")
    expect(card).to_have_count(1)
    expect(card.locator("summary")).to_contain_text("Line crossing")
    expect(card.locator('[data-kind="tracks"]')).to_be_visible()  # its input port, coloured by kind
    expect(card.locator('[data-kind="events"]')).to_be_visible()  # its output port
    expect(page.get_by_test_id("stExpander").filter(has_text="sources/video_file@v1")).to_have_count(0)
    card.scroll_into_view_if_needed()
    shot(page, "smoke-2-blocks-search-en")


@pytest.mark.parametrize(('url_path', 'key'), [("cameras", "app.cameras.title"), ("clips", "app.clips.title"),
                                           ("train", "app.train.title"),
                                           ("evaluate", "app.eval.title"), ("share", "app.share.title"),
                                           ("events", "app.events.title"), ("admin", "app.admin.title")])
def test_every_page_opens_without_an_error(app_server, page, wait_idle, shot, url_path, key):
    app_server.sign_in(page)
    page.goto(f"{app_server.url}/{url_path}")
    wait_idle(page)
    shot(page, f"smoke-page-{url_path}-zh")
    expect(page.locator("h1").first).to_have_text(t(key, "zh"))
    expect(page.get_by_test_id("stException")).to_have_count(0)
    errors = page.get_by_test_id("stAlertContentError")
    assert errors.count() == 0, errors.all_inner_texts()
