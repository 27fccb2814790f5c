"""The router's pages: Build, Run, Cameras, Clips, Train, Evaluate, Share, Blocks; each a thin function over tested
modules."""

from __future__ import annotations

import streamlit as st

from workbench.ui.common import language_picker, tr


def all_pages() -> list:
    """The pages in menu order, titled in the current language; the Build page is the default."""
    from workbench.ui.pages.blocks import blocks_page
    from workbench.ui.pages.build import build_page
    from workbench.ui.pages.cameras import cameras_page
    from workbench.ui.pages.clips import clips_page
    from workbench.ui.pages.evaluate import evaluate_page
    from workbench.ui.pages.run import run_page
    from workbench.ui.pages.share import share_page
    from workbench.ui.pages.train import train_page

    language_picker()
    pages = {
        "build": st.Page(build_page, title=tr("app.build.title"), url_path="build", default=True,
                         icon=":material/account_tree:"),
        "run": st.Page(run_page, title=tr("app.run.title"), url_path="run", icon=":material/play_circle:"),
        "cameras": st.Page(cameras_page, title=tr("app.cameras.title"), url_path="cameras",
                           icon=":material/videocam:"),
        "clips": st.Page(clips_page, title=tr("app.clips.title"), url_path="clips", icon=":material/video_library:"),
        "train": st.Page(train_page, title=tr("app.train.title"), url_path="train", icon=":material/model_training:"),
        "evaluate": st.Page(evaluate_page, title=tr("app.eval.title"), url_path="evaluate",
                            icon=":material/fact_check:"),
        "share": st.Page(share_page, title=tr("app.share.title"), url_path="share", icon=":material/share:"),
        "blocks": st.Page(blocks_page, title=tr("app.blocks.title"), url_path="blocks", icon=":material/menu_book:"),
    }
    st.session_state["pages"] = pages  # for st.switch_page from one page to another
    return list(pages.values())
