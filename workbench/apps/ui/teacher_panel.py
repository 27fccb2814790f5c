"""The Clips page's teacher parts: the class table for pre-labels — which of the model's classes become each project
class, and from which confidence on (the form of `workbench labelstudio push --map ... --class-conf ...`) — and the
form that has the teacher label whole clips into a pseudo-labelled part (`workbench dataset pseudo`).

One row per project class: the model classes that feed it (at first the one of the same name) and the lowest
confidence kept. Model classes in no row are not used. Problems (a model class in two rows, nothing mapped) are shown
in the page's language and stop the push.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import streamlit as st

from workbench.apps.ui import clips_view as view
from workbench.apps.ui.common import choose_hint, lang, tr
from workbench.apps.ui.forms import model_choices
from workbench.apps.ui.session import current_actor
from workbench.features.finetune.clips import ClipLibrary

DEFAULT_CONF = 0.25
PSEUDO_MADE_KEY = "clips_pseudo_made"


@dataclass(frozen=True)
class TeacherChoice:
    """The model's classes -> project classes and each model class's lowest confidence, as the table says."""

    mapping: dict[str, str] = field(default_factory=dict)
    class_conf: dict[str, float] = field(default_factory=dict)


def mapping_table(model_id: str, classes: list[str], key_prefix: str = "clips_map") -> TeacherChoice | None:
    """The table for `model_id` and the project's `classes`; None (problems shown) while it cannot be used.
    `key_prefix` tells two tables on one page apart."""
    known = {c.id: c for c in model_choices()}
    teacher_classes = list(known[model_id].classes) if model_id in known else []
    st.markdown(f"**{tr('app.clips.map_title')}**")
    st.caption(tr("app.clips.map_help", model=model_id))
    header = st.columns([2, 5, 2])
    for col, key in zip(header, ("map_project_class", "map_sources", "map_conf"), strict=True):
        col.caption(tr(f"app.clips.{key}"))
    rows: dict[str, list[str]] = {}
    confs: dict[str, float] = {}
    for cls in classes:
        name, sources, conf = st.columns([2, 5, 2], vertical_alignment="center")
        name.markdown(f"`{cls}`")
        rows[cls] = sources.multiselect(tr("app.clips.map_sources_of", cls=cls), teacher_classes,
                                        default=view.default_sources(cls, teacher_classes),
                                        key=f"{key_prefix}::{model_id}::{cls}", label_visibility="collapsed",
                                        placeholder=tr("app.clips.map_none"))
        confs[cls] = conf.number_input(tr("app.clips.map_conf_of", cls=cls), min_value=0.01, max_value=1.0,
                                       value=DEFAULT_CONF, step=0.05, key=f"{key_prefix}_conf::{model_id}::{cls}",
                                       label_visibility="collapsed")
    table = view.mapping_from_rows(rows, confs, model_id, lang())
    for problem in table["problems"]:
        st.error(problem.message(lang()))
    return None if table["problems"] else TeacherChoice(table["mapping"], table["class_conf"])


def show_push(pushed: view.Pushed) -> None:
    """The push's counts and what the model's pre-labels were worth (it found nothing, or only other classes)."""
    result = pushed.result
    st.success(tr("app.clips.pushed", project=pushed.project.title, created=len(result.created),
                  skipped=len(result.skipped), predictions=result.predictions))
    if pushed.version:
        st.caption(tr("app.clips.pushed_boxes", boxes=result.boxes, frames=result.predicted, model=pushed.version))
    for warning in pushed.warnings():
        st.warning(warning.message(lang()))


def pseudo_form(library: ClipLibrary, classes: list[str], pick_model: Callable[[str, bool], str | None],
                shown_failures: Callable[[], AbstractContextManager[None]]) -> None:
    """Label whole clips with a teacher model into a pseudo-labelled part for `classes` (the chosen projects' class
    list, so its ids agree with the human labels); the new part is offered in the list above at once."""
    st.markdown(f"**{tr('app.clips.pseudo_title')}**")
    st.caption(tr("app.clips.pseudo_help"))
    if made := st.session_state.pop(PSEUDO_MADE_KEY, None):
        st.success(made)
    clips = {c.id: c for c in library.list()}
    if not clips:
        st.caption(tr("app.clips.sample_no_clips"))
        return
    picked = st.multiselect(tr("app.clips.pseudo_clips"), list(clips), key="clips_pseudo_clips",
                            placeholder=choose_hint(clips),
                            format_func=lambda c: view.clip_label(clips[c]))
    model_id = pick_model("clips_pseudo_model", False)
    if not classes:
        st.info(tr("app.clips.pseudo_no_classes"))
        return
    st.caption(tr("app.clips.pseudo_classes", classes=", ".join(classes)))
    teacher = mapping_table(model_id, classes, key_prefix="clips_pseudo_map") if model_id else None
    every, most = st.columns(2)
    every_s = every.number_input(tr("app.clips.every"), min_value=0.1, max_value=3600.0, value=1.0, step=0.5,
                                 key="clips_pseudo_every")
    max_frames = most.number_input(tr("app.clips.max_frames"), min_value=0, max_value=1000, value=0, step=1,
                                   key="clips_pseudo_max", help=tr("app.clips.max_frames_help"))
    if st.button(tr("app.clips.pseudo_make"), key="clips_pseudo_make", disabled=not (picked and teacher)):
        with shown_failures(), st.spinner(tr("app.clips.pseudo_making")):
            info = view.make_pseudo_part(picked, model_id or "", classes, teacher.mapping, teacher.class_conf,
                                         float(every_s), int(max_frames), actor=current_actor())
            st.session_state[PSEUDO_MADE_KEY] = tr("app.clips.pseudo_made", version=info.version,
                                                   images=info.images["train"], boxes=sum(info.boxes.values()))
            st.rerun()  # the parts list above offers the new part at once
