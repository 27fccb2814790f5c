"""The browser-test harness shared by every e2e module: a Streamlit server for any script, Debian's chromium, mouse
drags that React Flow and the drawing canvas accept, "wait until Streamlit is idle" and screenshots in test-output/e2e/.

Import it as `from e2e.harness import ...` (pytest puts tests/ on the path); the fixtures around it are in conftest.py.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
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
DRAG_STEPS = 20  # React Flow and the drawing canvas only follow a drag that moves in steps


@dataclass(frozen=True)
class StreamlitServer:
    """A running Streamlit script: where to open it, its workbench home (WORKBENCH_HOME) and its log."""

    url: str
    home: Path
    log: Path

    def sign_in(self, page, name: str = "tester", password: str = "correct horse battery",
                district: str = "local") -> None:
        """Sign `name` in for the browser `page` (an account with every role of `district` — by default this
        machine's registry district — made in the server's records database when missing): its session cookie, as
        the sign-in page would leave it (the form itself: test_sign_in.py)."""
        from workbench.apps.ui.session import COOKIE
        from workbench.core.errors import WorkbenchError
        from workbench.records.accounts import add_user, get_user
        from workbench.records.database import DATABASE_URL_ENV, open_database
        from workbench.records.roles import ROLES
        from workbench.records.sign_in import sign_in

        engine = open_database(os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{self.home / 'records.db'}")
        try:
            get_user(name, engine=engine)
        except WorkbenchError:
            add_user(None, name, password, list(ROLES), district, engine=engine)
        token = sign_in(name, password, engine=engine).token
        page.context.add_cookies([{"name": COOKIE, "value": token, "url": self.url}])


# -- Streamlit server -------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with code {process.returncode}:\n{_log_tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"streamlit did not answer {url}/_stcore/health within {timeout:.0f} s:\n{_log_tail(log)}")


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


@contextmanager
def start_streamlit(script: Path, home: Path) -> Iterator[StreamlitServer]:
    """`streamlit run <script>` from the repository root on a free port, with WORKBENCH_HOME=`home` and its log at
    home/streamlit.log; stopped (with everything it started) when the block ends."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = home / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", "127.0.0.1",
               "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        _wait_healthy(url, process, log)
        yield StreamlitServer(url=url, home=home, log=log)
    finally:
        _stop(process)


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


# -- mouse ------------------------------------------------------------------------------------------------------------
def centre(locator) -> tuple[float, float]:
    """The middle of a visible element, in page coordinates (elements inside iframes included)."""
    box = locator.bounding_box()
    assert box, f"{locator} is not visible"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag_between(page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Press at `start`, move to `end` in steps, release."""
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=DRAG_STEPS)
    page.mouse.up()


def drag(page, source, target) -> None:
    """Press on the middle of one element, move in steps, release on the middle of the other."""
    source.scroll_into_view_if_needed()
    drag_between(page, centre(source), centre(target))


# -- screenshots ------------------------------------------------------------------------------------------------------
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
