"""One way to choose a video in the app: the demo clip, the clip library, an upload, or a file in the server's
allowed footage folders (workbench.core.footage). Nothing is typed, so nothing else on the server can be opened.

Used by the Build page (a video source's file), the Run page and the Evaluate page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from workbench.apps.ui.common import tr
from workbench.core import footage
from workbench.features.finetune.clips import ClipLibrary
from workbench.features.synth import demo

KINDS = ("demo", "library", "upload", "server")
VIDEO_TYPES = sorted(s.lstrip(".") for s in footage.VIDEO_SUFFIXES)


def video_picker(key: str, kinds: tuple[str, ...] = KINDS) -> Path | None:
    """Radio of the ways to choose, then the chooser; the chosen video file, or None while none is chosen."""
    labels = {k: label(k) for k in kinds}
    kind = st.radio(tr("app.picker.label"), kinds, key=f"{key}_kind", horizontal=True, format_func=labels.__getitem__)
    return pick(kind, key)


def label(kind: str) -> str:
    return tr(f"app.picker.{kind}")


def pick(kind: str, key: str) -> Path | None:
    """The chooser of one way (one of KINDS), for pages that put these ways beside their own in one radio."""
    return {"demo": _demo, "library": _library, "upload": _upload, "server": _server}[kind](key)


def _demo(key: str) -> Path | None:
    clip = demo.demo_clip()
    if not clip.is_file():
        st.info(tr("app.run.demo_missing"))
        if st.button(tr("app.run.demo_generate"), key=f"{key}_make_demo"):
            with st.spinner(tr("app.run.demo_generating")):
                demo.make_demo_clip()
            st.rerun()
        return None
    st.caption(tr("app.run.demo_ready", path=str(clip)))
    return clip


def _library(key: str) -> Path | None:
    library = ClipLibrary()
    clips = {c.id: c for c in library.list() if c.video_path(library.root).is_file()}
    if not clips:
        st.info(tr("app.picker.library_empty"))
        return None
    chosen = st.selectbox(tr("app.picker.library_clip"), list(clips), key=f"{key}_library",
                          format_func=lambda cid: f"{clips[cid].name} · {clips[cid].duration_s:.0f} s")
    return clips[chosen].video_path(library.root)


def _upload(key: str) -> Path | None:
    upload = st.file_uploader(tr("app.run.upload"), type=VIDEO_TYPES, key=f"{key}_upload")
    if upload is None:
        return None
    saved = footage.save_upload(upload.name, upload.getvalue())
    st.caption(tr("app.run.upload_saved", path=str(saved)))
    return saved


def _server(key: str) -> Path | None:
    roots = footage.footage_dirs()
    if not roots:
        st.info(tr("app.picker.no_folders", env=footage.FOOTAGE_DIRS_ENV))
        return None
    root = st.selectbox(tr("app.picker.folder"), roots, key=f"{key}_root", format_func=str)
    videos = footage.videos_in(root)
    if not videos:
        st.info(tr("app.picker.folder_empty", folder=str(root), env=footage.FOOTAGE_DIRS_ENV))
        return None
    chosen = st.selectbox(tr("app.picker.file"), videos, key=f"{key}_file",
                          format_func=lambda p: str(p.relative_to(root)))
    st.caption(tr("app.picker.folders_hint", env=footage.FOOTAGE_DIRS_ENV))
    return chosen
