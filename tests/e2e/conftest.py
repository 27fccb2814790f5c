"""Real-browser tests: the app served by `streamlit run` and driven by Playwright through Debian's chromium.

Fixtures: `chromium_path` (installs Debian's chromium when missing), `app_server` (the app on a free port with its own
workbench home and the demo clip), `page` (a fresh zh-CN browser tab, screenshot saved at the end), `shot` (save a
screenshot under test-output/e2e/) and `wait_idle` (wait until Streamlit has finished running the script).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-output" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")  # so Chinese screenshots are readable
DEBIAN_PACKAGES = ["chromium", "fonts-noto-cjk"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
RUNNING_INDICATOR = '[data-testid="stStatusWidget"]'
MAX_SHOT_HEIGHT = 6000  # pixels


@dataclass(frozen=True)
class AppServer:
    """A running app: where to open it, its workbench home (demo clip, saved pipelines, runs) and its log."""

    url: str
    home: Path
    log: Path


# -- the browser ------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's chromium and a Chinese font; installed with apt-get when missing (Playwright cannot download browsers
    here, and without a CJK font every Chinese label is an empty box in the screenshots)."""
    if not (CHROMIUM.exists() and CJK_FONT.exists()):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        try:
            subprocess.run(["apt-get", "update"], check=True, env=env, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *DEBIAN_PACKAGES], check=True,
                           env=env, capture_output=True)
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
    sync API allows one Playwright per thread at a time, so a module may start its own after this one has stopped."""
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


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name).strip('_')}.png"


def save_shot(page, name: str, whole: bool = True) -> Path:
    """A screenshot at test-output/e2e/<name>.png; `whole` grows the window for a moment to the height of Streamlit's
    scrolling main area (a plain full-page screenshot shows only what fits the window)."""
    path = screenshot_path(name)
    size = page.viewport_size
    height = page.evaluate('document.querySelector(\'[data-testid="stMain"]\')?.scrollHeight || 0') if whole else 0
    if size and height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(height, MAX_SHOT_HEIGHT)})
        page.wait_for_timeout(300)
    try:
        page.screenshot(path=str(path))
    finally:
        if size and height > size["height"]:
            page.set_viewport_size(size)
    return path


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
def wait_until_idle(page, timeout: float = 60.0, settle: float = 0.5) -> None:
    """Wait until the script has stopped running and stayed stopped for `settle` seconds (a rerun that the last click
    asked for may start a moment later), with no running indicator in the toolbar."""
    deadline = time.monotonic() + timeout
    idle_since = None
    while time.monotonic() < deadline:
        idle = page.locator(IDLE).count() == 1 and not page.locator(RUNNING_INDICATOR).is_visible()
        now = time.monotonic()
        idle_since = (idle_since or now) if idle else None
        if idle_since and now - idle_since >= settle:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the app was still running after {timeout:.0f} s")


@pytest.fixture
def wait_idle() -> Callable[..., None]:
    """`wait_idle(page)`: block until Streamlit is idle (see `wait_until_idle`)."""
    return wait_until_idle


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with code {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"streamlit did not answer {url}/_stcore/health within {timeout:.0f} s:\n"
                f"{log.read_text(errors='replace')[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and everything it started (its own process group)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """`streamlit run app.py` on a free port, with a fresh workbench home holding the demo clip."""
    from workbench.synth import generate

    home = tmp_path_factory.mktemp("e2e-home")
    generate("demo", home / "demo", seed=0)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = home / "streamlit.log"
    streamlit = Path(sys.executable).with_name("streamlit")
    command = [str(streamlit if streamlit.exists() else shutil.which("streamlit")), "run", "app.py",
               "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        _wait_healthy(url, process, log)
        yield AppServer(url=url, home=home, log=log)
    finally:
        _stop(process)
