"""The "Clips & labels" page: clip library, frame sampling, Label Studio push (pre-labelled by a model through a class
table: workbench.apps.ui.teacher_panel)/pull and dataset build.

A thin page: widgets and calls into workbench.features.finetune (clips, sampling), workbench.features.labeling (client,
projects, pull,
dataset) and workbench.apps.ui.clips_view (pure helpers). Every failure is shown as its translated problem, never a
traceback; each operation takes seconds and runs under a spinner.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from workbench.apps.ui import clips_view as view
from workbench.apps.ui.common import choose_hint, lang, tr
from workbench.apps.ui.forms import ModelChoice, model_choices, model_label
from workbench.apps.ui.labelstudio_panel import configured_elsewhere, launcher_changed, local_server_panel
from workbench.apps.ui.session import current_actor
from workbench.apps.ui.teacher_panel import TeacherChoice, mapping_table, pseudo_form, show_push
from workbench.core.errors import WorkbenchError
from workbench.features.finetune import sampling
from workbench.features.finetune.clips import Clip, ClipLibrary

VIDEO_TYPES = ["mp4", "avi", "mkv", "mov", "m4v", "webm", "mpg", "mpeg", "ts", "flv", "wmv"]
SOURCES = ("upload", "path")
GRID_COLUMNS = 4
SAMPLED_KEY = "clips_sampled"
STATUS_KEY = "clips_ls_status"
CONFIRM_KEY = "clips_confirm_remove"


def clips_page() -> None:
    st.title(tr("app.clips.title"))
    st.caption(tr("app.clips.intro"))
    library = ClipLibrary()
    tabs = st.tabs([tr(f"app.clips.tab.{k}") for k in ("library", "frames", "label", "dataset")])
    with tabs[0]:
        _import_form(library)
        _clip_list(library)
    with tabs[1]:
        _sampling(library)
    with tabs[2]:
        _label_studio(library)
    with tabs[3]:
        _dataset(library)


@contextmanager
def _shown_failures() -> Iterator[None]:
    """Run an operation; a failure becomes its translated problem message(s) on the page."""
    try:
        yield
    except Exception as exc:  # a defect or a user error alike: say it, never a traceback
        for message in view.error_messages(exc, lang()):
            st.error(message)


# -- 1. clip library ---------------------------------------------------------------------------------------------------
def _import_form(library: ClipLibrary) -> None:
    st.subheader(tr("app.clips.import"))
    labels = {k: tr(f"app.clips.source.{k}") for k in SOURCES}
    kind = st.radio(tr("app.clips.source"), SOURCES, key="clips_import_kind", horizontal=True,
                    format_func=labels.__getitem__)
    upload, path = None, ""
    if kind == "upload":
        upload = st.file_uploader(tr("app.clips.upload"), type=VIDEO_TYPES, key="clips_upload")
    else:
        path = st.text_input(tr("app.clips.path"), key="clips_import_path", help=tr("app.clips.path_help")).strip()
    cols = st.columns(3)
    name = cols[0].text_input(tr("app.clips.name"), key="clips_import_name", help=tr("app.clips.name_help")).strip()
    camera = cols[1].text_input(tr("app.clips.camera"), key="clips_import_camera").strip()
    site = cols[2].text_input(tr("app.clips.site"), key="clips_import_site").strip()
    tags = view.parse_tags(st.text_input(tr("app.clips.tags"), key="clips_import_tags", help=tr("app.clips.tags_help")))
    reference = kind == "path" and st.checkbox(tr("app.clips.reference"), key="clips_reference",
                                               help=tr("app.clips.reference_help"))
    ready = upload is not None if kind == "upload" else bool(path)
    if st.button(tr("app.clips.import_button"), key="clips_import", type="primary", disabled=not ready):
        with _shown_failures(), st.spinner(tr("app.clips.importing")):
            if upload is not None:
                clip = library.import_bytes(upload.getvalue(), upload.name, name=name or None, camera=camera,
                                            site=site, tags=tags, actor=current_actor())
            else:
                clip = library.import_clip(path, name=name or None, camera=camera, site=site, tags=tags,
                                           copy=not reference, actor=current_actor())
            st.success(tr("app.clips.imported", name=clip.name, id=clip.id))


def _ask_remove(clip_id: str | None) -> None:
    st.session_state[CONFIRM_KEY] = clip_id


def _clip_list(library: ClipLibrary) -> None:
    st.subheader(tr("app.clips.library"))
    clips = library.list()
    if not clips:
        st.info(tr("app.clips.empty"))
        return
    for clip in clips:
        thumb, info, action = st.columns([1, 4, 1], vertical_alignment="center")
        thumbnail = clip.thumbnail_path(library.root)
        if thumbnail.is_file():
            thumb.image(str(thumbnail), width="stretch")
        info.markdown(f"**{clip.name}**")
        info.caption(view.clip_details(clip, lang()))
        info.caption(tr("app.clips.id_line", id=clip.id))
        if st.session_state.get(CONFIRM_KEY) == clip.id:
            action.button(tr("app.clips.remove_confirm"), key=f"clips_remove_yes::{clip.id}", type="primary",
                          on_click=_remove, args=(library, clip.id))
            action.button(tr("app.clips.cancel"), key=f"clips_remove_no::{clip.id}", on_click=_ask_remove,
                          args=(None,))
        else:
            action.button(tr("app.clips.remove"), key=f"clips_remove::{clip.id}", on_click=_ask_remove,
                          args=(clip.id,))


def _remove(library: ClipLibrary, clip_id: str) -> None:
    st.session_state[CONFIRM_KEY] = None
    try:
        library.remove(clip_id, actor=current_actor())
    except WorkbenchError as exc:  # already gone (removed in another tab): the list simply no longer shows it
        for problem in exc.problems:
            if problem.code != "clip_unknown":
                st.error(problem.message(lang()))
    if getattr(st.session_state.get(SAMPLED_KEY), "clip_id", None) == clip_id:
        st.session_state[SAMPLED_KEY] = None


# -- 2. frame sampling -------------------------------------------------------------------------------------------------
def _sampling(library: ClipLibrary) -> None:
    st.subheader(tr("app.clips.sample"))
    clips = {c.id: c for c in library.list()}
    if not clips:
        st.info(tr("app.clips.sample_no_clips"))
        return
    clip_id = st.selectbox(tr("app.clips.clip"), list(clips), key="clips_sample_clip",
                           format_func=lambda c: view.clip_label(clips[c]))
    clip = clips[clip_id]
    options = _sampling_options()
    if st.button(tr("app.clips.preview"), key="clips_preview", type="primary", disabled=options is None):
        st.session_state[SAMPLED_KEY] = None
        with _shown_failures(), st.spinner(tr("app.clips.sampling")):
            st.session_state[SAMPLED_KEY] = view.run_sampling(clip, options, library)
    sampled: view.Sampled | None = st.session_state.get(SAMPLED_KEY)
    if sampled is not None and sampled.clip_id == clip.id:
        _preview(sampled, clip, library)
    done = sampling.load_index(clip.id)
    if done:
        st.caption(tr("app.clips.extracted_so_far", count=len(done), folder=str(sampling.frames_dir() / clip.id)))


def _sampling_options() -> view.SamplingOptions | None:
    """The form's choices; None while they cannot be used (model-driven without a model)."""
    labels = {m: tr(f"app.clips.method.{m}") for m in view.METHODS}
    method = st.radio(tr("app.clips.method"), view.METHODS, key="clips_method", horizontal=True,
                      format_func=labels.__getitem__)
    st.caption(tr(f"app.clips.method_help.{method}"))
    every, threshold, model_id = 1.0, 0.25, ""
    if method == "uniform":
        every = st.number_input(tr("app.clips.every"), min_value=0.1, max_value=3600.0, value=1.0, step=0.5,
                                key="clips_every")
    elif method == "scene":
        threshold = st.slider(tr("app.clips.threshold"), min_value=0.05, max_value=1.0, value=0.25, step=0.05,
                              key="clips_threshold", help=tr("app.clips.threshold_help"))
    else:
        model_id = _model_picker("clips_model", allow_none=False) or ""
    cols = st.columns(2)
    dedupe = cols[0].checkbox(tr("app.clips.dedupe"), value=True, key="clips_dedupe", help=tr("app.clips.dedupe_help"))
    max_frames = cols[1].number_input(tr("app.clips.max_frames"), min_value=0, max_value=1000, value=0, step=1,
                                      key="clips_max", help=tr("app.clips.max_frames_help"))
    if method == "model" and not model_id:
        return None
    return view.SamplingOptions(method=method, every_s=float(every), threshold=float(threshold), model_id=model_id,
                                dedupe=dedupe, max_frames=int(max_frames))


def _model_picker(key: str, allow_none: bool) -> str | None:
    """A model-zoo id (or None for "no model"); says clearly when the chosen model's weights are not here."""
    with _shown_failures():
        choices: dict[str, ModelChoice] = {c.id: c for c in model_choices()}
        options = ([""] if allow_none else []) + list(choices)
        if not options:
            st.warning(tr("app.clips.no_models"))
            return None
        labels = {m: model_label(choices[m], lang()) if m else tr("app.clips.no_model") for m in options}
        picked = st.selectbox(tr("app.clips.model" if not allow_none else "app.clips.prelabel_model"), options,
                              key=key, help=tr("app.clips.model_help"), format_func=labels.__getitem__)
        if picked and not choices[picked].present:
            st.warning(tr("app.forms.weights_hint", model=picked))
        return picked or None
    return None


def _preview(sampled: view.Sampled, clip: Clip, library: ClipLibrary) -> None:
    if not sampled.refs:
        st.warning(tr("app.clips.none_chosen"))
        return
    st.markdown(f"**{tr('app.clips.chosen', count=len(sampled.refs))}**")
    for start in range(0, len(sampled.refs), GRID_COLUMNS):
        cols = st.columns(GRID_COLUMNS)
        for col, ref, thumb in zip(cols, sampled.refs[start:start + GRID_COLUMNS],
                                   sampled.thumbs[start:start + GRID_COLUMNS], strict=False):
            col.image(thumb, caption=view.reason_text(ref, lang()), width="stretch")
    if st.button(tr("app.clips.extract"), key="clips_extract", type="primary"):
        with _shown_failures(), st.spinner(tr("app.clips.extracting")):
            paths = sampling.extract(sampled.refs, library=library, actor=current_actor())
            st.success(tr("app.clips.extracted", count=len(paths), folder=str(sampling.frames_dir() / clip.id)))


# -- 3. Label Studio ---------------------------------------------------------------------------------------------------
def _recheck() -> None:
    st.session_state[STATUS_KEY] = None


def _label_studio(library: ClipLibrary) -> None:
    st.subheader(tr("app.clips.ls"))
    local = not configured_elsewhere()  # the workbench may start its own Label Studio
    if local and launcher_changed():
        _recheck()
    status: view.LabelStudioStatus | None = st.session_state.get(STATUS_KEY)
    if status is None:
        with st.spinner(tr("app.clips.ls_checking")):
            status = st.session_state[STATUS_KEY] = view.check_connection()
    if status.connected:
        where = tr("app.clips.ls_local") if status.local else status.url
        st.success(tr("app.clips.ls_connected", url=status.url, where=where, source=status.token_source))
    else:
        for problem in status.problems:  # nothing configured, with a start button below, is no problem to show
            if not (local and problem.code == "labelstudio_no_url"):
                st.error(problem.message(lang()))
        if not local:
            st.caption(tr("app.clips.ls_setup_hint"))
    if local:
        local_server_panel(_recheck)
    st.button(tr("app.clips.ls_recheck"), key="clips_ls_recheck", on_click=_recheck)

    title = st.text_input(tr("app.clips.project"), value="workbench", key="clips_project",
                          help=tr("app.clips.project_help")).strip()
    classes = _class_editor(status, title)
    with_frames = [c for c in library.list() if sampling.load_index(c.id)]
    picked = st.multiselect(tr("app.clips.push_clips"), [c.id for c in with_frames],
                            placeholder=choose_hint(with_frames), default=[c.id for c in with_frames],
                            key="clips_push_clips::" + ",".join(c.id for c in with_frames),  # new clips: all again
                            format_func={c.id: view.clip_label(c) for c in with_frames}.__getitem__)
    frames = view.extracted_frames(picked)
    st.caption(tr("app.clips.push_count", count=len(frames)) if with_frames else tr("app.clips.push_no_frames"))
    model_id = _model_picker("clips_push_model", allow_none=True)
    teacher = mapping_table(model_id, classes) if model_id and classes else None
    push_col, pull_col = st.columns(2)
    can_push = status.connected and bool(title) and classes is not None and bool(frames)
    if push_col.button(tr("app.clips.push"), key="clips_push", type="primary",
                       disabled=not can_push or (bool(model_id) and teacher is None)):
        with _shown_failures(), st.spinner(tr("app.clips.pushing")):
            _push(status, title, classes or [], frames, model_id, teacher)
    if pull_col.button(tr("app.clips.pull"), key="clips_pull", disabled=not (status.connected and title)):
        with _shown_failures(), st.spinner(tr("app.clips.pulling")):
            _pull(status, title)


def _class_editor(status: view.LabelStudioStatus, title: str) -> list[str] | None:
    """The ordered class list typed one per line; None (and the problem shown) while it is not usable."""
    from workbench.features.labeling.config import check_classes
    from workbench.features.labeling.projects import find_project

    text = st.text_area(tr("app.clips.classes"), key="clips_classes", height=120, help=tr("app.clips.classes_help"))
    st.caption(tr("app.clips.classes_pinned"))
    existing = None
    if status.connected and title:
        with _shown_failures():
            existing = find_project(status.client, title)
    if existing is not None:
        st.caption(tr("app.clips.project_classes", project=title, classes=_numbered(existing.classes)))
    try:
        classes = check_classes(view.parse_classes(text))
    except WorkbenchError as exc:
        if text.strip():
            for message in view.error_messages(exc, lang()):
                st.error(message)
        return None
    st.caption(tr("app.clips.class_ids", classes=_numbered(classes)))
    if existing is not None and view.reorders_pinned(existing.classes, classes):
        st.error(tr("app.clips.classes_reordered", project=title, old=_numbered(existing.classes)))
        return None
    return classes


def _numbered(classes: list[str]) -> str:
    return " · ".join(f"{i} = {name}" for i, name in enumerate(classes))


def _push(status: view.LabelStudioStatus, title: str, classes: list[str], frames: list, model_id: str | None,
          teacher: TeacherChoice | None) -> None:
    pushed = view.push_frames(status.client, title, classes, frames, model_id,
                              teacher.mapping if teacher else None, teacher.class_conf if teacher else None,
                              actor=current_actor())
    show_push(pushed)
    link = view.project_link(status.url, pushed.project.id)
    st.markdown(f"[{tr('app.clips.open_project', project=pushed.project.title)}]({link})")


def _pull(status: view.LabelStudioStatus, title: str) -> None:
    from workbench.features.labeling.projects import get_project
    from workbench.features.labeling.pull import default_store, pull, stored_tasks

    project = get_project(status.client, int(title) if title.isdigit() else title)
    result = pull(status.client, project, default_store(status.url, project.id), actor=current_actor())
    st.success(tr("app.clips.pulled", project=project.title, new=len(result.new), changed=len(result.changed),
                  removed=len(result.removed), total=len(stored_tasks(result.store))))


# -- 4. dataset --------------------------------------------------------------------------------------------------------
def _dataset(library: ClipLibrary) -> None:
    from workbench.features.labeling.dataset import build_dataset

    st.subheader(tr("app.clips.dataset"))
    pulled = {str(p.store): p for p in view.pulled_projects()}
    if not pulled:
        st.caption(tr("app.clips.ds_none_pulled"))
    chosen = st.multiselect(tr("app.clips.ds_projects"), list(pulled), default=list(pulled),
                            placeholder=choose_hint(pulled), key="clips_ds_projects::" + ",".join(pulled),
                            format_func=lambda s: pulled[s].label())
    projects = [pulled[s] for s in chosen]
    clips = sorted({c for p in projects for c in p.clips})
    with st.expander(tr("app.clips.pseudo_expander")):
        classes = projects[0].classes if projects else view.parse_classes(st.session_state.get("clips_classes", ""))
        pseudo_form(library, classes, _model_picker, _shown_failures)
    parts = {p.version: p for p in view.pseudo_parts()}
    pseudo = st.multiselect(tr("app.clips.ds_pseudo"), list(parts), key="clips_ds_pseudo",
                            placeholder=choose_hint(parts), format_func=lambda v: parts[v].label(),
                            help=tr("app.clips.ds_pseudo_help"))
    val = st.multiselect(tr("app.clips.ds_val"), clips, key="clips_ds_val", help=tr("app.clips.ds_val_help"),
                         placeholder=choose_hint(clips))
    step = 1
    if any(p.kind == "video" for p in projects):
        step = int(st.number_input(tr("app.clips.ds_frame_step"), min_value=1, max_value=1000, value=5,
                                   key="clips_ds_step"))
    if st.button(tr("app.clips.ds_build"), key="clips_build", type="primary"):
        with _shown_failures(), st.spinner(tr("app.clips.ds_building")):
            info = build_dataset([Path(s) for s in chosen], val_clips=val or None, frame_step=step,
                                 pseudo_parts=pseudo, actor=current_actor())
            st.success(tr("app.clips.ds_built", version=info.version))
            if info.pseudo:
                st.caption(tr("app.clips.ds_pseudo_used", images=sum(info.pseudo["images"].values()),
                              replaced=info.pseudo.get("replaced_by_human", 0)))
            st.caption(tr("app.clips.ds_path", path=str(info.path / "data.yaml")))
            rows = view.split_counts(info)
            st.dataframe([{tr("app.clips.col.split"): tr(f"app.clips.split.{r['split']}"),
                           tr("app.clips.col.images"): r["images"], tr("app.clips.col.boxes"): r["boxes"],
                           tr("app.clips.col.clips"): r["clips"]} for r in rows], hide_index=True)
            st.dataframe([{tr("app.clips.col.id"): i, tr("app.clips.col.class"): name,
                           tr("app.clips.col.boxes"): info.boxes.get(name, 0)} for i, name in enumerate(info.classes)],
                         hide_index=True)
            for warning in info.warnings:
                st.warning(warning.message(lang()))
