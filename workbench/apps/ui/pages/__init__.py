"""The router's pages: Build, Run, Cameras, Events, Clips, Train, Evaluate, Share, Blocks, Admin; each a thin
function over tested modules. A page's module is imported when the page is first shown, not before the first paint
(the Train and Clips pages pull in the training and labelling stacks, over a second of imports). Nobody signed in:
the sign-in page is the only page (workbench.apps.ui.session checks the session on every render)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import streamlit as st

from workbench.apps.ui.account_panel import account_panel
from workbench.apps.ui.common import language_picker, tr
from workbench.apps.ui.session import signed_in_actor, write_pending_cookie
from workbench.records.roles import Permission

# key -> (module in workbench.apps.ui.pages, page function, translated title key, icon); the menu order
PAGES = {
    "build": ("build", "build_page", "app.build.title", ":material/account_tree:"),
    "run": ("run", "run_page", "app.run.title", ":material/play_circle:"),
    "cameras": ("cameras", "cameras_page", "app.cameras.title", ":material/videocam:"),
    "events": ("events", "events_page", "app.events.title", ":material/event_note:"),
    "clips": ("clips", "clips_page", "app.clips.title", ":material/video_library:"),
    "train": ("train", "train_page", "app.train.title", ":material/model_training:"),
    "evaluate": ("evaluate", "evaluate_page", "app.eval.title", ":material/fact_check:"),
    "share": ("share", "share_page", "app.share.title", ":material/share:"),
    "blocks": ("blocks", "blocks_page", "app.blocks.title", ":material/menu_book:"),
    "admin": ("admin", "admin_page", "app.admin.title", ":material/admin_panel_settings:"),
}
ONLY_FOR = {"admin": Permission.USERS_MANAGE}  # pages listed only for those who may use them (the calls check too)


def lazy_page(module: str, function: str) -> Callable[[], None]:
    """The page function, imported from `workbench.apps.ui.pages.<module>` when the page runs."""
    def page() -> None:
        getattr(importlib.import_module(f"workbench.apps.ui.pages.{module}"), function)()

    page.__name__ = function
    return page


def all_pages() -> list:
    """The pages in menu order, titled in the current language; the Build page is the default. Before sign-in: only
    the sign-in page."""
    language_picker()
    write_pending_cookie()
    actor = signed_in_actor()
    if actor is None:
        return [st.Page(lazy_page("sign_in", "sign_in_page"), title=tr("app.signin.title"), url_path="signin",
                        default=True, icon=":material/login:")]
    account_panel(actor)
    pages = {key: st.Page(lazy_page(module, function), title=tr(title), url_path=key, default=key == "build",
                          icon=icon)
             for key, (module, function, title, icon) in PAGES.items()
             if key not in ONLY_FOR or actor.may(ONLY_FOR[key])}
    st.session_state["pages"] = pages  # for st.switch_page from one page to another
    return list(pages.values())
