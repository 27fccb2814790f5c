"""Promotion with the numbers in front of the user: the candidate version against the version the alias (champion)
points at now, read from their MLflow runs, and what speaks against promoting (scores 0, no better than its base,
no better than the current champion, measured on other validation images).

    check = promotion_check("gate-model", "3")      # CLI: printed, then a prompt; Train page: a confirm step
    promote(check.name, check.candidate.version)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.core.errors import BlockError, Problem
from workbench.core.i18n import t
from workbench.features.training.quality import BASE_MAP50_METRIC, VERDICT_TAG, ZERO_MAP50
from workbench.features.training.tracking import CHAMPION, client, configured_uri, redact, server_reachable

METRICS = ("mAP50", "mAP50-95", "precision", "recall")


@dataclass(frozen=True)
class VersionScore:
    """One registered version as promotion compares it."""

    version: str
    aliases: tuple[str, ...]
    run_id: str
    dataset_version: str
    base_model: str
    metrics: dict[str, float]  # best.pt's final validation when recorded, else the last epoch's
    verdict: str  # training.quality verdict, "" for versions trained before it was recorded
    base_map50: float | None

    @property
    def map50(self) -> float | None:
        return self.metrics.get("mAP50")


@dataclass
class PromotionCheck:
    name: str
    alias: str
    candidate: VersionScore
    current: VersionScore | None  # the version `alias` points at now
    warnings: list[Problem] = field(default_factory=list)

    @property
    def already(self) -> bool:
        return self.current is not None and self.current.version == self.candidate.version


def _score(mlflow: Any, name: str, version: str) -> VersionScore:
    v = mlflow.get_model_version(name, version)
    metrics: dict[str, float] = {}
    tags: dict[str, str] = dict(v.tags or {})
    base = None
    if v.run_id:
        run = mlflow.get_run(v.run_id)
        recorded = dict(run.data.metrics)
        metrics = {m: recorded[f"best/{m}"] if f"best/{m}" in recorded else recorded[m]
                   for m in METRICS if f"best/{m}" in recorded or m in recorded}
        tags = {**dict(run.data.tags), **tags}
        base = recorded.get(BASE_MAP50_METRIC)
    return VersionScore(version=str(v.version), aliases=tuple(sorted(v.aliases or ())), run_id=v.run_id or "",
                        dataset_version=tags.get("workbench.dataset_version", ""),
                        base_model=tags.get("workbench.base_model", ""), metrics=metrics,
                        verdict=tags.get(VERDICT_TAG, ""), base_map50=base)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _warnings(check: PromotionCheck) -> list[Problem]:
    c, now = check.candidate, check.current
    params = {"model": check.name, "version": c.version, "alias": check.alias, "map50": _number(c.map50)}
    found = []
    if c.map50 is None or c.map50 <= ZERO_MAP50:
        found.append(Problem("promote_candidate_zero", field="version", severity="warning", params=params))
    elif c.verdict == "no_better":
        found.append(Problem("promote_no_better_than_base", field="version", severity="warning",
                             params={**params, "base": c.base_model, "base_map50": _number(c.base_map50)}))
    if now is not None and not check.already:
        if c.map50 is not None and now.map50 is not None and c.map50 <= now.map50:
            found.append(Problem("promote_no_better_than_current", field="version", severity="warning",
                                 params={**params, "current": now.version, "current_map50": _number(now.map50)}))
        if c.dataset_version != now.dataset_version:
            found.append(Problem("promote_other_validation", field="version", severity="warning", params={
                **params, "current": now.version, "dataset": c.dataset_version or "-",
                "current_dataset": now.dataset_version or "-"}))
    return found


def promotion_check(name: str, version: str | int, alias: str = CHAMPION, uri: str | None = None) -> PromotionCheck:
    """The candidate and the current holder of `alias`, with what speaks against promoting."""
    from mlflow.exceptions import MlflowException

    uri = uri or configured_uri()
    if not server_reachable(uri):
        raise BlockError("mlflow_server_down", None, "MLFLOW_TRACKING_URI", url=redact(uri))
    mlflow = client(uri)
    try:
        candidate = _score(mlflow, name, str(version))
    except MlflowException as exc:
        raise BlockError("model_version_unknown", None, "version", model=name, version=str(version),
                         detail=str(exc).splitlines()[0][:200]) from exc
    try:
        current_version = str(mlflow.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        current_version = None  # nobody holds the alias yet
    current = _score(mlflow, name, current_version) if current_version else None
    check = PromotionCheck(name=name, alias=alias, candidate=candidate, current=current)
    check.warnings = _warnings(check)
    return check


def comparison_rows(check: PromotionCheck, lang: str | None = None) -> list[tuple[str, str, str]]:
    """(what, candidate, current) rows for a table; "-" where the current holder is missing or did not record it."""
    c, now = check.candidate, check.current

    def pair(get: Any) -> tuple[str, str]:
        return get(c), (get(now) if now is not None else "-")

    rows = [(t("promotion.row.version", lang), *pair(lambda v: v.version)),
            (t("promotion.row.aliases", lang), *pair(lambda v: ", ".join(v.aliases) or "-")),
            (t("promotion.row.dataset", lang), *pair(lambda v: v.dataset_version or "-")),
            (t("promotion.row.base", lang), *pair(lambda v: v.base_model or "-"))]
    rows += [(m, *pair(lambda v, m=m: _number(v.metrics.get(m)))) for m in METRICS]
    rows.append((t("promotion.row.base_map50", lang), *pair(lambda v: _number(v.base_map50))))
    rows.append((t("promotion.row.verdict", lang), *pair(
        lambda v: t(f"promotion.verdict.{v.verdict or 'unknown'}", lang))))
    return rows
