"""The Train page: a no-code fine-tuning form, the live view of a background training, past trainings, MLflow runs
side by side, and "Promote to champion".

The open job's id lives in the URL (`?job=<id>`), so a browser refresh reopens it; the training itself is a separate
process (workbench.features.training.jobs), so the page stays responsive and nothing is lost on refresh.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from workbench.apps.ui import train_view as view
from workbench.apps.ui.common import choose_hint, lang, tr
from workbench.apps.ui.job_panel import JobRow, JobTexts, form_beside_job, past_jobs_table
from workbench.apps.ui.session import as_signed_in, current_actor
from workbench.core.errors import Problem, WorkbenchError
from workbench.features.training import jobs
from workbench.features.training.dataset_check import check_dataset
from workbench.features.training.tracking import Tracking, choose_tracking, configured_uri, embedded_uri, promote

JOB_TEXTS = JobTexts(unknown="app.train.unknown_job", opened="app.train.opened", close="app.train.close")
PAST_SHOWN = 20
REFRESH_S = 1


def train_page() -> None:
    st.title(tr("app.train.title"))
    st.caption(tr("app.train.intro"))
    form_beside_job(_new_training_form, "job", jobs.training_status, JOB_TEXTS, _finished, _live)
    st.divider()
    _past_trainings()
    st.divider()
    _compare_runs()


def _show_problems(problems: list[Problem]) -> None:
    for p in problems:
        show = st.warning if p.severity == "warning" else st.error
        show(f"{p.where()}: {jobs.safe_message(p, lang())}")


@st.cache_data(ttl=30, show_spinner=False)
def _tracking(configured: str) -> Tracking:
    """Where runs are read from: the configured server if it answers, else the embedded store (checked every 30 s)."""
    return choose_tracking()


# -- new training -----------------------------------------------------------------------------------------------------
def _field(spec: view.FieldSpec, key: str) -> Any:
    label, help_text = view.field_text(spec.name, lang()), tr(f"app.train.help.{spec.name}")
    if spec.widget == "integer":
        return st.number_input(label, min_value=int(spec.min), max_value=None if spec.max is None else int(spec.max),
                               value=int(spec.default), step=int(spec.step or 1), help=help_text, key=key)
    if spec.widget == "select":
        labels = {v: tr(f"app.train.option.{spec.name}.{v}") for v in spec.options}
        return st.radio(label, spec.options, index=spec.options.index(spec.default), help=help_text, key=key,
                        horizontal=True, format_func=labels.__getitem__)
    if spec.widget == "toggle":
        return st.toggle(label, value=bool(spec.default), help=help_text, key=key)
    return st.text_input(label, value=str(spec.default), help=help_text, key=key).strip()


def _new_training_form() -> None:
    st.subheader(tr("app.train.new"))
    datasets = view.list_datasets()
    if not datasets:
        st.info(tr("app.train.no_datasets"))
        return
    by_path = {str(d.data_yaml): d for d in datasets}
    labels = {p: view.dataset_label(d, lang()) for p, d in by_path.items()}
    data_yaml = st.selectbox(tr("app.train.dataset"), list(by_path), key="train_dataset",
                             format_func=labels.__getitem__)
    st.caption(tr("app.train.dataset_classes", classes=", ".join(by_path[data_yaml].classes)))
    _show_problems(_dataset_problems(data_yaml))  # e.g. a class with no box in the validation images
    base = _base_model_picker()
    fields = view.train_fields()
    values: dict[str, Any] = {"base_model": base}
    for name in view.FORM_FIELDS:
        values[name] = _field(fields[name], f"train_{name}")
        if name == "freeze_backbone" and values[name] and base and _base_untrained(base):
            st.warning(tr("app.train.freeze_untrained_hint", model=base))
    with st.expander(tr("app.train.advanced")):
        for name in view.ADVANCED_FIELDS:
            values[name] = _field(fields[name], f"train_{name}")
    config, problems = view.form_config({k: v for k, v in values.items() if v is not None})
    _show_problems(problems)
    if st.button(tr("app.train.start"), type="primary", disabled=config is None, key="train_start"):
        try:
            check_dataset(data_yaml)  # bad input shows here, before a worker starts
        except WorkbenchError as exc:
            _show_problems(exc.problems)
            return
        job_id = as_signed_in(jobs.start_training, config, data_yaml)
        if job_id:
            st.query_params["job"] = job_id
            st.rerun()


@st.cache_data(show_spinner=False, max_entries=32)
def _dataset_problems(data_yaml: str) -> list[Problem]:
    """What the training's own check will say about a dataset (datasets are folders named by their content)."""
    try:
        return list(check_dataset(data_yaml).warnings)
    except WorkbenchError as exc:
        return list(exc.problems)


@st.cache_data(ttl=60, show_spinner=False, max_entries=64)
def _base_untrained(value: str) -> bool | None:
    return view.base_untrained(value)


def _base_model_picker() -> str:
    uri = _tracking(configured_uri()).uri
    try:
        registered = view.registered_base_choices(uri)
    except Exception as exc:  # the registry is only a source of choices here: say so, keep the zoo
        registered = []
        st.warning(tr("app.train.registry_unreadable", detail=str(exc).splitlines()[0][:200]))
    try:
        choices = view.zoo_base_choices() + registered
    except WorkbenchError as exc:  # a broken zoo manifest
        _show_problems(exc.problems)
        choices = registered
    by_value = {c.value: c for c in choices}
    labels = {v: view.base_label(c, lang()) for v, c in by_value.items()}
    default = view.train_fields()["base_model"].default
    values = list(by_value)
    value = st.selectbox(tr("app.train.base_model"), values, index=values.index(default) if default in values else 0,
                         key="train_base_model", help=tr("app.train.help.base_model"),
                         format_func=labels.__getitem__)
    if value and by_value[value].kind == "zoo" and not by_value[value].present:
        st.warning(tr("app.forms.weights_hint", model=value))
    return value or ""


# -- one job ----------------------------------------------------------------------------------------------------------
def _state_line(status: jobs.TrainingStatus) -> None:
    config = status.request.get("config", {})
    st.caption(tr("app.train.state_line", state=tr(f"app.train.state.{status.state}"),
                  base=config.get("base_model", "-"), name=config.get("model_name", "-")))


def _curves(progress: dict) -> None:
    losses, quality = view.epoch_curves(progress, lang())
    if losses.empty:
        return
    left, right = st.columns(2)
    left.markdown(f"**{tr('app.train.losses')}**")
    left.line_chart(losses)
    right.markdown(f"**{tr('app.train.quality')}**")
    right.line_chart(quality)


@st.fragment(run_every=REFRESH_S)
def _live(job_id: str) -> None:
    """Progress, refreshed every second without rerunning the page; the whole page reruns once the job ends."""
    status = jobs.training_status(job_id)
    if status.finished:
        st.rerun()
    _state_line(status)
    progress = status.progress
    if status.state == "queued" or not progress:
        st.progress(0, text=tr("app.train.starting"))
    else:
        text = tr("app.train.progress", epoch=min(progress.get("epoch", 0) + 1, progress["epochs"]),
                  epochs=progress["epochs"], batch=progress.get("batch", 0), batches=progress.get("batches", 0),
                  eta=view.format_duration(view.eta_seconds(progress)))
        st.progress(view.progress_fraction(progress), text=text)
    _show_problems(view.notices(progress))
    if status.cancel_requested:
        st.info(tr("app.train.cancel_requested"))
    else:
        st.button(tr("app.train.cancel"), key=f"train_cancel::{job_id}", on_click=as_signed_in,
                  args=(jobs.cancel_training, job_id))
    _curves(progress)


def _finished(status: jobs.TrainingStatus) -> None:
    _state_line(status)
    _show_problems(status.problems)
    result = status.result or {}
    if status.state == "lost":
        st.warning(tr("app.train.lost_hint", log=str(jobs.job_dir(status.id) / jobs.LOG_FILE)))
    elif status.state == "cancelled":
        st.info(tr("app.train.cancelled", run=result.get("run_id") or "-"))
    elif status.state == "done":
        _done(result)
    _show_problems(view.quiet_warnings(result))
    _curves(status.progress)


def _done(result: dict) -> None:
    """The outcome; a model that finds nothing or is no better than its base is an error box, not a success."""
    uri = embedded_uri() if result.get("embedded") else configured_uri()
    names = {"model": result["model_name"], "version": result["version"], "alias": result["alias"]}
    if result.get("verdict") in view.LOUD_VERDICTS:
        st.error(tr("app.train.done_unusable", **names))
        for problem in view.loud_warnings(result):
            st.error(jobs.safe_message(problem, lang()))
    else:
        st.success(tr("app.train.done", **names))
    cols = st.columns(4)
    cols[0].metric(tr("app.train.metric.mAP50"), _number(result.get("final_metrics", {}).get("metrics/mAP50(B)")))
    cols[1].metric(tr("app.train.base_map50"), _number(result.get("base_map50")))
    cols[2].metric(tr("app.train.epochs_done"), str(result.get("epochs_done", "-")))
    cols[3].metric(tr("app.train.minutes"), f"{result.get('seconds', 0) / 60:.1f}")
    st.caption(tr("app.train.recorded", run=result["run_id"], uri=result["tracking_uri"],
                  dataset=result["dataset_version"]))
    _promote(uri, result["model_name"], str(result["version"]))


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _promote(uri: str, name: str, version: str) -> None:
    """"Promote to champion" opens a confirm step: the candidate beside the current champion, then yes or cancel."""
    try:
        aliases = view.version_aliases(uri, name, version)
    except Exception as exc:  # the store went away since the training: say so, no button
        st.warning(tr("app.train.registry_unreadable", detail=str(exc).splitlines()[0][:200]))
        return
    st.caption(tr("app.train.aliases", model=name, version=version, aliases=", ".join(aliases) or "-"))
    if "champion" in aliases:
        return
    confirming = f"train_promote_confirming::{name}::{version}"
    if not st.session_state.get(confirming):
        if st.button(tr("app.train.promote"), key=f"train_promote::{name}::{version}"):
            st.session_state[confirming] = True
            st.rerun()
        return
    _confirm_promotion(uri, name, version, confirming)


def _confirm_promotion(uri: str, name: str, version: str, confirming: str) -> None:
    from workbench.features.training.promotion import promotion_check

    try:
        check = promotion_check(name, version, uri=uri)
    except WorkbenchError as exc:
        _show_problems(exc.problems)
        return
    st.markdown(f"**{tr('app.train.promote_check', model=name, version=version)}**")
    st.dataframe(view.promotion_table(check, lang()))
    for problem in check.warnings:
        show = st.error if problem.code in ("promote_candidate_zero", "promote_no_better_than_base") else st.warning
        show(problem.message(lang()))
    yes, no = st.columns(2)
    if yes.button(tr("app.train.promote_yes", version=version), key=f"train_promote_yes::{name}::{version}",
                  type="primary"):
        try:
            promote(name, version, uri=uri, actor=current_actor())
        except WorkbenchError as exc:
            _show_problems(exc.problems)
            return
        st.session_state.pop(confirming, None)
        st.rerun()
    if no.button(tr("app.train.promote_cancel"), key=f"train_promote_cancel::{name}::{version}"):
        st.session_state.pop(confirming, None)
        st.rerun()


# -- past trainings and comparison ------------------------------------------------------------------------------------
def _past_trainings() -> None:
    st.subheader(tr("app.train.past"))
    past = jobs.list_trainings(PAST_SHOWN)
    if not past:
        st.caption(tr("app.train.no_trainings"))
        return
    headers = [tr(f"app.train.col.{key}") for key in ("state", "base", "model", "dataset", "started")]
    past_jobs_table(headers, [_training_row(job) for job in past], [2, 3, 3, 2, 2, 1], "job", tr("app.train.open"),
                    "train_open")


def _training_row(job: jobs.TrainingStatus) -> JobRow:
    config, result = job.request.get("config", {}), job.result or {}
    version = result.get("version")
    model = f"{config.get('model_name', '-')} v{version}" if version else config.get("model_name", "-")
    started = str(job.request.get("started", "")).replace("T", " ")[:19]
    return JobRow(job.id, (tr(f"app.train.state.{job.state}"), config.get("base_model", "-"), model,
                           result.get("dataset_version") or "-", started))


def _compare_runs() -> None:
    st.subheader(tr("app.train.compare"))
    tracking = _tracking(configured_uri())
    _show_problems(list(tracking.warnings))
    try:
        runs = view.training_runs(tracking.uri)
    except Exception as exc:
        st.warning(tr("app.train.registry_unreadable", detail=str(exc).splitlines()[0][:200]))
        return
    if len(runs) < 2:
        st.caption(tr("app.train.compare_needs_two"))
        return
    by_id = {r.run_id: r for r in runs}
    chosen = st.multiselect(tr("app.train.compare_pick"), list(by_id), default=list(by_id)[:2], key="train_compare",
                            placeholder=choose_hint(by_id),
                            format_func=lambda i: by_id[i].label)  # the same in every language
    if len(chosen) < 2:
        st.caption(tr("app.train.compare_needs_two"))
        return
    picked = [by_id[i] for i in chosen]
    st.dataframe(view.comparison_table(picked, lang()))
    curves = view.map50_curves(tracking.uri, picked, lang())
    if not curves.empty:
        st.markdown(f"**{tr('app.train.compare_curves')}**")
        st.line_chart(curves)
