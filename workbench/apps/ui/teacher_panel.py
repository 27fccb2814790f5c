"""The Clips page's class table for pre-labels: which of the model's classes become each project class, and from
which confidence on (the form of `workbench labelstudio push --map ... --class-conf ...`).

One row per project class: the model classes that feed it (at first the one of the same name) and the lowest
confidence kept. Model classes in no row are not used. Problems (a model class in two rows, nothing mapped) are shown
in the page's language and stop the push.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from workbench.apps.ui import clips_view as view
from workbench.apps.ui.common import lang, tr
from workbench.apps.ui.forms import model_choices

DEFAULT_CONF = 0.25


@dataclass(frozen=True)
class TeacherChoice:
    """The model's classes -> project classes and each model class's lowest confidence, as the table says."""

    mapping: dict[str, str] = field(default_factory=dict)
    class_conf: dict[str, float] = field(default_factory=dict)


def mapping_table(model_id: str, classes: list[str]) -> TeacherChoice | None:
    """The table for `model_id` and the project's `classes`; None (problems shown) while it cannot be used."""
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
                                        key=f"clips_map::{model_id}::{cls}", label_visibility="collapsed",
                                        placeholder=tr("app.clips.map_none"))
        confs[cls] = conf.number_input(tr("app.clips.map_conf_of", cls=cls), min_value=0.01, max_value=1.0,
                                       value=DEFAULT_CONF, step=0.05, key=f"clips_map_conf::{model_id}::{cls}",
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
