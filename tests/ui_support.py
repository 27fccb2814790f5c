"""For AppTest tests of the app: a signed-in person (the app shows only the sign-in page before), and what the
canvas would send to the Build page (AppTest cannot see inside the component)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from workbench.apps.ui.session import ACTOR_KEY
from workbench.core.errors import WorkbenchError
from workbench.records.accounts import add_user, get_user
from workbench.records.roles import ROLES, Actor
from workbench.records.sign_in import sign_in

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TESTER, TESTER_PASSWORD = "tester", "correct horse battery"
TESTER_ACTOR = Actor(TESTER, "haidian", frozenset(ROLES))  # every role, district haidian


def as_user(at: AppTest, actor: Actor = TESTER_ACTOR) -> AppTest:
    """`at` (a page function, without the router) with `actor` signed in, as the router leaves it for a page; the
    page's calls check the actor's roles themselves."""
    at.session_state[ACTOR_KEY] = actor
    return at


def signed_in(at: AppTest, name: str = TESTER, roles: tuple[str, ...] = ROLES) -> AppTest:
    """`at` with `name` signed in (an account with `roles`, made in the current workbench home when missing)."""
    try:
        get_user(name)
    except WorkbenchError:
        add_user(None, name, TESTER_PASSWORD, list(roles))
    at.session_state["session_token"] = sign_in(name, TESTER_PASSWORD).token
    return at


def app_test(timeout: float = 60) -> AppTest:
    """app.py as a signed-in tester sees it (not run yet)."""
    return signed_in(AppTest.from_file(APP, default_timeout=timeout))

_seq = [0]


def canvas_reply(at: AppTest, **changes: Any) -> dict[str, Any]:
    """A reply drawn on the open draft: its current graph plus `changes` (docs/canvas-protocol.md)."""
    draft = at.session_state["draft"]
    _seq[0] += 1
    reply = {"seq": _seq[0], "draft": draft.id, "revision": draft.revision, "action": "move", "selected": None,
             "target": None, "refused": None, "added": None,
             "positions": {k: list(v) for k, v in draft.spec.layout.items()}, "nodes": [n.id for n in draft.spec.nodes],
             "edges": [{"source": e.source_node, "sourceHandle": e.source_port, "target": e.target_node,
                        "targetHandle": e.target_port} for e in draft.spec.edges]}
    return reply | changes


def add_block(at: AppTest, type_id: str, x: float | None = None, y: float | None = None) -> AppTest:
    """Drop (x, y given) or click a block of the canvas' palette; the page reruns."""
    at.session_state["canvas"] = canvas_reply(at, action="add", added={"type": type_id, "x": x, "y": y})
    return at.run()
