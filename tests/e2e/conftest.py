"""Real-browser tests: Streamlit scripts served by `streamlit run` and driven by Playwright through Debian's chromium.

Fixtures: `chromium_path` (installs Debian's chromium and a Chinese font when missing), `browser` (one headless chromium
per module), `page` (a fresh zh-CN browser tab, screenshot saved at the end), `shot` (save a screenshot under
test-output/e2e/), `wait_idle` (wait until Streamlit has finished running the script) and `app_server` (app.py on a free
port with its own workbench home and the demo clip). The helpers behind them are in e2e/harness.py.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CJK_FONT,
    DEBIAN_PACKAGES,
    REPO,
    StreamlitServer,
    save_shot,
    start_streamlit,
    wait_until_idle,
)
from services.debian import apt_install


# -- the browser ------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's chromium and a Chinese font; installed with apt-get when missing (Playwright cannot download browsers
    here, and without a CJK font every Chinese label is an empty box in the screenshots)."""
    if not (CHROMIUM.exists() and CJK_FONT.exists()):
        try:
            apt_install(*DEBIAN_PACKAGES)
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            pytest.fail(f"`apt-get install -y {' '.join(DEBIAN_PACKAGES)}` failed ({exc}): "
                        f"{detail.decode(errors='replace')[-2000:]}\nInstall Debian's chromium as root and re-run.")
    if not CHROMIUM.exists():
        pytest.fail(f"apt-get installed chromium but {CHROMIUM} does not exist")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium_path: Path):
    """One headless chromium per test module; every test gets its own context (cookies, storage). Module scope: the
    sync API allows one Playwright per thread at a time, so each module starts its own after the last one stopped."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Remember each phase's report on the test item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def shot() -> Callable[..., Path]:
    """`shot(page, "name")` saves test-output/e2e/name.png (the whole page; `whole=False`: the window) -> its path."""
    return save_shot


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    """A new tab (1400x900, zh-CN); its screenshot is saved as test-output/e2e/<test name>.png when the test ends."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    try:
        path = save_shot(tab, request.node.name + ("-FAILED" if failed else ""))
        if failed:
            print(f"screenshot of the failure: {path}")
    except Exception as exc:  # a crashed tab must not hide the test's own result
        print(f"no screenshot of {request.node.name}: {exc}")
    finally:
        context.close()


# -- Streamlit --------------------------------------------------------------------------------------------------------
@pytest.fixture
def wait_idle() -> Callable[..., None]:
    """`wait_idle(page)`: block until Streamlit is idle (see `e2e.harness.wait_until_idle`)."""
    return wait_until_idle


def _demo_app(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[StreamlitServer]:
    from workbench.features.synth import generate

    home = tmp_path_factory.mktemp(name)
    generate("demo", home / "demo", seed=0)
    with start_streamlit(REPO / "app.py", home) as server:
        yield server


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    """`streamlit run app.py` on a free port, with a fresh workbench home holding the demo clip."""
    yield from _demo_app(tmp_path_factory, "e2e-home")


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    """The app on a workbench home nobody has used yet (only the demo clip `make run` makes), for one module."""
    yield from _demo_app(tmp_path_factory, "fresh-home")
