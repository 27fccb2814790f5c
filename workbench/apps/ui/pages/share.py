"""The Share page (shared algorithm registry): browse what the districts published, import a version (every hash and
the signature checked) and adapt it to this site, publish one of ours, manage keys. Logic in
workbench.apps.ui.share_view.

The selected version lives in the URL (`?algo=district/name@version`), so a refresh reopens it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from workbench.apps.ui import share_view as view
from workbench.apps.ui.common import lang, tr
from workbench.apps.ui.library import list_pipelines
from workbench.apps.ui.session import current_actor
from workbench.apps.ui.share_parts import (
    ENTRIES_KEY,
    forget_entries,
    generate_key,
    keys_section,
    show_problems,
    site_adaptation,
)
from workbench.core.errors import Problem, WorkbenchError
from workbench.features.sharing.catalog import Entry, list_versions
from workbench.features.sharing.config import open_store, registry_settings
from workbench.features.sharing.store import RegistryStore

PUBLISHED_KEY = "share_pub_result"
PREVIEW_TYPES = ["jpg", "jpeg", "png", "webp", "mp4", "webm"]


def share_page() -> None:
    st.title(tr("app.share.title"))
    try:
        settings = registry_settings()
        store = open_store(settings)
    except WorkbenchError as exc:
        show_problems(exc.problems)
        return
    st.caption(tr("app.share.where", store=store.describe(lang()), district=settings.district))
    browse, publish, keys_tab = st.tabs([tr("app.share.tab_browse"), tr("app.share.tab_publish"),
                                         tr("app.share.tab_keys")])
    with browse:
        _browse(store)
    with publish:
        _publish(store, settings.district)
    with keys_tab:
        keys_section(settings.district)


def _entries(store: RegistryStore) -> list[Entry] | None:
    if ENTRIES_KEY not in st.session_state:
        try:
            st.session_state[ENTRIES_KEY] = list_versions(store)
        except WorkbenchError as exc:
            show_problems(exc.problems)
            return None
    return st.session_state[ENTRIES_KEY]


# -- browse ------------------------------------------------------------------------------------------------------------
def _badge(status: str) -> None:
    label, color, help_text = view.trust_badge(status, lang())
    st.badge(label, color=color, help=help_text)


def _browse(store: RegistryStore) -> None:
    st.button(tr("app.share.refresh"), key="share_refresh", on_click=forget_entries)
    entries = _entries(store)
    if entries is None:
        return
    tags, tasks, districts = view.filter_choices(entries)
    cols = st.columns([3, 2, 2, 2, 2])
    text = cols[0].text_input(tr("app.share.search"), key="share_search", placeholder=tr("app.share.search_hint"))
    any_label = {"": tr("app.share.any")}
    tag = cols[1].selectbox(tr("app.share.tag"), ["", *tags], key="share_tag",
                            format_func=lambda v: any_label.get(v, v))
    task = cols[2].selectbox(tr("app.share.task"), ["", *tasks], key="share_task",
                             format_func=lambda v: any_label.get(v, v))
    district = cols[3].selectbox(tr("app.share.district"), ["", *districts], key="share_district",
                                 format_func=lambda v: any_label.get(v, v))
    every = cols[4].toggle(tr("app.share.all_versions"), key="share_all_versions")
    shown = view.shown_entries(entries, text, tag, task, district, every)
    if not shown:
        st.info(tr("app.share.empty" if not entries else "app.share.no_match"))
    for entry in shown:
        _row(entry)
    selected = view.find_ref(entries, st.query_params.get("algo"))
    if selected is not None:
        st.divider()
        _details(store, selected)


def _open(ref: str) -> None:
    st.query_params["algo"] = ref


def _row(entry: Entry) -> None:
    row = view.entry_row(entry, lang())
    with st.container(border=True):
        head, badge, button = st.columns([6, 2, 1])
        # every text here is the publishing district's (a broken entry's names are whatever the store's keys say)
        title, name = view.as_plain_markdown(row.title), view.as_plain_markdown(row.name)
        shown = title if row.title == row.name else f"{title} ({name})"
        head.markdown(f"**{shown}** `{row.version}` · {view.as_plain_markdown(row.district)}")
        with badge:
            _badge(row.trust)
        button.button(tr("app.share.open"), key=f"share_open::{row.ref}", on_click=_open, args=(row.ref,))
        if row.problem:
            st.caption(view.plain_problem(row.problem, lang()))
            return
        st.caption(view.as_plain_markdown(row.description))
        st.caption(view.plain_t("app.share.row_line", lang(), task=row.task, classes=view.format_classes(row.classes),
                                metrics=view.format_metrics(row.metrics)))


def _details(store: RegistryStore, entry: Entry) -> None:
    st.subheader(view.as_plain_markdown(entry.ref))
    _badge(view.trust_status(entry))
    if entry.release is None:
        show_problems([entry.problem] if entry.problem else [])
        return
    m = entry.release.manifest
    st.text(m.description.zh if lang() == "zh" else m.description.en)  # the publisher's text, never Markdown
    signer = entry.release.signature.key_id if entry.release.signature else "-"
    st.caption(view.plain_t("app.share.detail_line", lang(), task=m.task, classes=view.format_classes(m.classes, 20),
                            tags=", ".join(m.tags) or "-", created=m.created, key_id=signer,
                            size=view.format_size(view.total_size(m)), workbench=m.workbench_version))
    preview = view.fetch_preview(store, m)
    if preview:
        (st.video if preview[0] in (".mp4", ".webm") else st.image)(preview[1], width=480)
    metrics, files = st.columns(2)
    metrics.markdown(f"**{tr('app.share.metrics')}**")
    rows = view.metric_rows(m)
    metrics.dataframe(rows, hide_index=True) if rows else metrics.caption(tr("app.share.no_metrics"))
    files.markdown(f"**{tr('app.share.files')}**")
    files.dataframe(view.file_rows(m), hide_index=True)
    st.markdown(f"**{tr('app.share.site_fields')}**")
    for node, fields in m.site_fields.items():
        st.markdown(f"- **{view.as_plain_markdown(node)}**: {view.as_plain_markdown(', '.join(fields))}")
    if not m.site_fields:
        st.caption(tr("app.share.no_site_fields"))
    with st.expander(tr("app.share.license")):
        st.text(m.license)
    _import(store, entry)


def _import(store: RegistryStore, entry: Entry) -> None:
    m = entry.release.manifest
    imported = view.is_imported(m)
    label = tr("app.share.import_again" if imported else "app.share.import", size=view.format_size(view.total_size(m)))
    if st.button(label, key="share_import", type="secondary" if imported else "primary"):
        bar = st.progress(0.0, text=tr("app.share.downloading", path=""))
        progress = view.ByteProgress(m, lambda f, path: bar.progress(f, text=tr("app.share.downloading", path=path)))
        try:
            pulled, installed = view.import_version(store, entry, progress, actor=current_actor())
        except WorkbenchError as exc:
            bar.empty()
            st.error(tr("app.share.import_refused"))
            show_problems(exc.problems)
            return
        bar.empty()
        show_problems(list(pulled.warnings))
        st.success(view.plain_t("app.share.imported", lang(), ref=entry.ref, pipeline=installed.pipeline.name,
                                models=", ".join(installed.models) or "-"))
        imported = True
    if imported:
        site_adaptation(view.installed_pipeline(m), view.model_card(m))


# -- publish -----------------------------------------------------------------------------------------------------------
def _publish(store: RegistryStore, district: str) -> None:
    st.caption(tr("app.share.publish_intro", district=district))
    pipelines = list_pipelines()
    labels = {str(p.path): f"{p.title} ({p.name})" for p in pipelines}
    path = st.selectbox(tr("app.share.pipeline"), list(labels), key="share_pub_pipeline",
                        format_func=labels.__getitem__)
    if path is None:
        return
    title_cols = st.columns(2)
    title = {"zh": title_cols[0].text_input(tr("app.share.title_zh"), key="share_pub_title_zh").strip(),
             "en": title_cols[1].text_input(tr("app.share.title_en"), key="share_pub_title_en").strip()}
    name = st.text_input(tr("app.share.name"), value=view.suggest_name(Path(path).stem), key=f"share_pub_name::{path}",
                         help=tr("app.share.name_help")).strip()
    entries = _entries(store) or []
    version = st.text_input(tr("app.share.version"), value=view.next_version(entries, district, name),
                            key=f"share_pub_version::{name}", help=tr("app.share.version_help")).strip()
    en = st.text_area(tr("app.share.description_en"), key="share_pub_en").strip()
    zh = st.text_area(tr("app.share.description_zh"), key="share_pub_zh").strip()
    cols = st.columns(2)
    tags = view.split_tags(cols[0].text_input(tr("app.share.tags"), key="share_pub_tags"))
    task = cols[1].text_input(tr("app.share.task"), value="detect", key="share_pub_task").strip()
    model_version = _model_source()
    preview = st.file_uploader(tr("app.share.preview"), type=PREVIEW_TYPES, key="share_pub_preview")
    ready = bool(name and version and en and zh and task) and model_version != ""
    if not (en and zh):
        st.caption(tr("app.share.need_descriptions"))
    if st.button(tr("app.share.publish"), key="share_publish", type="primary", disabled=not ready):
        with tempfile.TemporaryDirectory() as tmp:
            shown = None
            if preview is not None:
                shown = Path(tmp) / f"preview{Path(preview.name).suffix.lower()}"
                shown.write_bytes(preview.getvalue())
            st.session_state[PUBLISHED_KEY] = _send(store, path, name=name, version=version, district=district,
                                                    description={"en": en, "zh": zh}, model_version=model_version,
                                                    tags=tags, task=task, preview=shown, title=title)
        if "ref" in st.session_state[PUBLISHED_KEY]:
            st.rerun()  # the catalog (drawn above) shows the new version
    _published(district)


def _model_source() -> str | None:
    """A registered MLflow model version (NAME/VERSION), None for the pipeline's own zoo weights, "" if none picked."""
    from workbench.features.training.tracking import choose_tracking

    kinds = {"zoo": tr("app.share.source_zoo"), "mlflow": tr("app.share.source_mlflow")}
    kind = st.radio(tr("app.share.model_source"), list(kinds), key="share_pub_source", horizontal=True,
                    format_func=kinds.__getitem__)
    if kind == "zoo":
        return None
    try:
        refs = view.registered_versions(choose_tracking().uri)
    except Exception as exc:  # the model registry only offers choices here: say why there are none
        st.warning(tr("app.share.mlflow_unreadable", detail=str(exc).splitlines()[0][:200]))
        return ""
    if not refs:
        st.info(tr("app.share.no_registered"))
        return ""
    return st.selectbox(tr("app.share.model_version"), refs, key="share_pub_model") or ""


def _send(store: RegistryStore, pipeline: str, **fields) -> dict:
    bar = st.progress(0.0, text=tr("app.share.preparing"))
    try:
        result = view.publish_version(store, pipeline, lambda f, path: bar.progress(
            f, text=tr("app.share.uploading", path=path)), actor=current_actor(), **fields)
        return {**result, "store": store.describe(lang())}
    except WorkbenchError as exc:
        return {"problems": exc.problems}
    finally:
        bar.empty()
        forget_entries()


def _published(district: str) -> None:
    result = st.session_state.get(PUBLISHED_KEY)
    if not result:
        return
    problems: list[Problem] = result.get("problems", [])
    if not problems:
        st.success(tr("app.share.published", ref=result["ref"], files=result["files"], store=result["store"]))
        return
    show_problems(problems)
    missing = any(p.code == "keys_missing" for p in problems)
    if missing and st.button(tr("app.share.generate_key", district=district), key="share_pub_genkey"):
        st.session_state.pop(PUBLISHED_KEY, None)
        generate_key(district)
