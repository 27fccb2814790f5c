"""The pipeline canvas in a real browser: Playwright drives Debian's chromium against tests/e2e/apps/canvas_app.py.

The app shows a fixed view (src: image out; det: image in, detections out; rule: tracks in, events out) and prints the
canvas' latest reply as JSON, so each test checks both what the user sees and what Python receives.
The server, browser, drags and screenshots come from the shared harness (e2e/harness.py and conftest.py).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e.harness import StreamlitServer, centre, drag, drag_between, start_streamlit

from workbench.core.i18n import t

pytestmark = pytest.mark.slow  # one Streamlit server + chromium + ~10 drags: about a minute on 2 cores

APP = Path(__file__).with_name("apps") / "canvas_app.py"
FRAME = 'iframe[title="workbench.apps.ui.canvas.pipeline_canvas"]'
REPLY = '[data-testid="stCode"] code'
LANG = "en"  # the app's language (canvas_app.LANG)


# -- server and tab ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def canvas_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    """`streamlit run canvas_app.py` on a free port (stopped at the end of the module)."""
    with start_streamlit(APP, tmp_path_factory.mktemp("canvas-app")) as server:
        yield server


@pytest.fixture
def tab(page, canvas_server: StreamlitServer):
    """A fresh session of the app with the canvas drawn (revision 1, no reply yet)."""
    page.set_default_timeout(20_000)
    page.goto(canvas_server.url)
    canvas(page).locator('[data-testid="rf__node-rule"]').wait_for()
    page.wait_for_function("() => document.querySelector('[data-testid=\"stCode\"]') !== null")
    return page


# -- helpers ----------------------------------------------------------------------------------------------------------
def canvas(page):
    return page.frame_locator(FRAME)


def port(page, node: str, side: str, name: str):
    return canvas(page).locator(f'[data-testid="rf__node-{node}"] [data-side="{side}"][data-port="{name}"]')


def reply(page) -> dict[str, Any] | None:
    return json.loads(page.locator(REPLY).inner_text())


def wait_reply(page, action: str, after: dict[str, Any] | None, timeout: float = 15.0) -> dict[str, Any]:
    """The first reply newer than `after` whose action is `action` (the app reruns and prints it)."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = reply(page)
        if seen and seen["action"] == action and (after is None or seen["seq"] > after["seq"]):
            return seen
        page.wait_for_timeout(100)
    raise AssertionError(f"no '{action}' reply after {after and after['seq']}; last reply: {seen}")


def connect(page, source: tuple[str, str], target: tuple[str, str]) -> None:
    """Drag from the output `source` = (node, port) to the input `target`."""
    drag(page, port(page, source[0], "out", source[1]), port(page, target[0], "in", target[1]))


def zoom(page) -> float:
    style = canvas(page).locator(".react-flow__viewport").get_attribute("style") or ""
    return float(re.search(r"scale\(([\d.]+)\)", style).group(1))


def wire(source: str, source_port: str, target: str, target_port: str) -> dict[str, str]:
    return {"source": source, "sourceHandle": source_port, "target": target, "targetHandle": target_port}


# -- tests ------------------------------------------------------------------------------------------------------------
def test_ports_show_name_and_kind_label_in_the_kind_colour(tab, shot) -> None:
    det = canvas(tab).locator('[data-testid="rf__node-det"]')
    assert "image · " + t("kind.image", LANG) in det.inner_text()
    colours = {side: port(tab, "det", side, name).evaluate("e => getComputedStyle(e).backgroundColor")
               for side, name in (("in", "image"), ("out", "detections"))}
    assert colours["in"] != colours["out"]  # image and detections are told apart by colour
    assert det.get_by_test_id("port-missing").is_visible()  # a required input with nothing connected
    assert det.get_by_test_id("node-problems").inner_text() == "1"
    shot(tab, "canvas-initial", whole=False)


def test_fitting_kinds_connect_and_python_hears_the_edge(tab, shot) -> None:
    connect(tab, ("src", "image"), ("det", "image"))
    answer = wait_reply(tab, "connect", None)
    assert answer["edges"] == [wire("src", "image", "det", "image")]
    assert answer["target"] == "det" and answer["refused"] is None and answer["revision"] == 1
    assert canvas(tab).locator('[data-testid="rf__edge-src.image->det.image"]').is_visible()
    det = canvas(tab).locator('[data-testid="rf__node-det"]')
    assert det.get_by_test_id("port-missing").count() == 0  # the input is fed now
    shot(tab, "canvas-connected", whole=False)

    connect(tab, ("src", "image"), ("det", "image"))  # a second edge into a single input is refused as taken
    refused = wait_reply(tab, "refused", answer)
    assert refused["refused"]["reason"] == "taken"
    assert t("app.canvas.taken", LANG, port="image") in canvas(tab).get_by_test_id("canvas-refusal").inner_text()
    assert len(refused["edges"]) == 1


def test_wrong_kinds_are_refused_at_once_naming_both_kinds(tab, shot) -> None:
    connect(tab, ("det", "detections"), ("rule", "tracks"))
    banner = canvas(tab).get_by_test_id("canvas-refusal")
    banner.wait_for(state="visible", timeout=3_000)
    expected = t("app.canvas.refused", LANG, source_kind=t("kind.detections", LANG), target_kind=t("kind.tracks", LANG))
    assert banner.inner_text() == expected
    answer = wait_reply(tab, "refused", None)
    assert answer["refused"] == {"source": "det.detections", "target": "rule.tracks", "source_kind": "detections",
                                 "target_kind": "tracks", "reason": "kind"}
    assert answer["edges"] == []
    assert canvas(tab).locator(".react-flow__edge").count() == 0
    shot(tab, "canvas-refused", whole=False)
    banner.wait_for(state="hidden", timeout=10_000)  # the banner goes away by itself


def test_moving_a_node_reports_positions_and_survives_the_rerun(tab, shot) -> None:
    title = canvas(tab).locator('[data-testid="rf__node-det"] .wb-title')
    x, y = centre(title)
    scale = zoom(tab)
    drag_between(tab, (x, y), (x + 120, y + 90))
    answer = wait_reply(tab, "move", None)
    step = 120 / 20 / scale  # React Flow starts dragging after the first mouse step
    assert answer["positions"]["det"][0] == pytest.approx(320 + 120 / scale, abs=step + 3)
    assert answer["positions"]["det"][1] == pytest.approx(0 + 90 / scale, abs=step + 3)
    assert answer["positions"]["src"] == [0, 60] and answer["positions"]["rule"] == [640, 120]
    dropped = centre(title)
    tab.wait_for_timeout(1_000)  # the rerun that the reply caused keeps the node where it was dropped
    assert centre(title) == pytest.approx(dropped, abs=1)
    assert dropped == pytest.approx((x + 120, y + 90), abs=10)
    shot(tab, "canvas-moved", whole=False)


def test_select_then_delete_key_removes_the_node(tab, shot) -> None:
    rule = canvas(tab).locator('[data-testid="rf__node-rule"]')
    rule.locator(".wb-title").click()
    selected = wait_reply(tab, "select", None)
    assert selected["selected"] == "rule" and selected["target"] == "rule"
    assert rule.get_by_test_id("node-delete").is_visible()
    shot(tab, "canvas-selected", whole=False)
    tab.keyboard.press("Delete")
    deleted = wait_reply(tab, "delete", selected)
    assert deleted["target"] == "rule" and deleted["nodes"] == ["src", "det"] and deleted["selected"] is None
    assert "rule" not in deleted["positions"]
    rule.wait_for(state="detached")


def test_node_buttons_duplicate_and_delete(tab) -> None:
    det = canvas(tab).locator('[data-testid="rf__node-det"]')
    connect(tab, ("src", "image"), ("det", "image"))
    connected = wait_reply(tab, "connect", None)
    det.locator(".wb-title").click()
    selected = wait_reply(tab, "select", connected)
    det.get_by_test_id("node-duplicate").click()
    duplicate = wait_reply(tab, "duplicate", selected)
    assert duplicate["target"] == "det"
    det.get_by_test_id("node-delete").click()
    deleted = wait_reply(tab, "delete", duplicate)
    assert deleted["nodes"] == ["src", "rule"] and deleted["edges"] == []  # its edges go with it


def test_selected_edge_is_deleted_with_the_key(tab) -> None:
    connect(tab, ("src", "image"), ("det", "image"))
    connected = wait_reply(tab, "connect", None)
    edge = canvas(tab).locator('[data-testid="rf__edge-src.image->det.image"]')
    edge.click()
    tab.keyboard.press("Backspace")
    cut = wait_reply(tab, "disconnect", connected)
    assert cut["edges"] == [] and cut["nodes"] == ["src", "det", "rule"]
    edge.wait_for(state="detached")


def test_a_new_revision_replaces_local_edits(tab) -> None:
    rule = canvas(tab).locator('[data-testid="rf__node-rule"]')
    start = centre(rule)
    rule.locator(".wb-title").click()
    tab.keyboard.press("Delete")
    deleted = wait_reply(tab, "delete", None)
    tab.get_by_role("button", name="bump").click()  # Python bumps the revision: the canvas shows the view again
    rule.wait_for(state="visible")
    assert centre(rule) == pytest.approx(start, abs=2)
    canvas(tab).locator('[data-testid="rf__node-src"] .wb-title').click()
    answer = wait_reply(tab, "select", deleted)
    assert answer["revision"] == 2 and answer["nodes"] == ["src", "det", "rule"]


def test_another_draft_redraws_even_at_the_same_revision(tab) -> None:
    """Another pipeline starts at its own revision 1: the canvas must still show it, and say which draft it drew."""
    rule = canvas(tab).locator('[data-testid="rf__node-rule"]')
    canvas(tab).locator('[data-testid="rf__node-det"] .wb-title').click()
    first = wait_reply(tab, "select", None)
    assert (first["draft"], first["revision"]) == ("first", 1)
    tab.get_by_role("button", name="switch").click()  # another draft, revision 1 again, without the rule node
    rule.wait_for(state="detached")
    canvas(tab).locator('[data-testid="rf__node-src"] .wb-title').click()
    answer = wait_reply(tab, "select", first)
    assert (answer["draft"], answer["revision"]) == ("second", 1) and answer["nodes"] == ["src", "det"]
