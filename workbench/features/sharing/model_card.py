"""The bundle's model card (model_card.md, English then Chinese) and its licence notes, from the translation table."""

from __future__ import annotations

from typing import Any

from workbench.core.i18n import LANGUAGES, t
from workbench.features.sharing.manifest import BundleManifest

MAX_METRIC_LINES = 60


def license_text() -> str:
    """The licence notes of every bundle, in both languages: ultralytics and its weights are AGPL-3.0."""
    return "\n".join(t(key, lang) for lang in LANGUAGES for key in ("sharing.license.ultralytics",
                                                                     "sharing.license.blocks"))


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, dict):
        return [pair for k in sorted(data) for pair in _flatten(data[k], f"{prefix}.{k}" if prefix else str(k))]
    return [(prefix, data)]


def _metric(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _section(m: BundleManifest, lang: str) -> list[str]:
    lines = [f"## {t('sharing.card.language', lang)}", "", getattr(m.description, lang), "",
             t("sharing.card.published", lang, district=m.district, created=m.created, workbench=m.workbench_version),
             t("sharing.card.task", lang, task=m.task, classes=", ".join(m.classes) or "-"), ""]
    if m.tags:
        lines += [t("sharing.card.tags", lang, tags=", ".join(m.tags)), ""]
    lines += [f"### {t('sharing.card.models', lang)}", ""]
    for model in m.models:
        origin = model.origin or "-"
        lines.append(f"- {t('sharing.card.model_line', lang, id=model.id, origin=origin, license=model.license)}")
        lines += [f"  - `{f.path}` sha256 `{f.sha256}`" for f in model.files]
    if not m.models:
        lines.append(t("sharing.card.no_models", lang))
    lines += ["", f"### {t('sharing.card.evaluation', lang)}", ""]
    metrics = _flatten(m.evaluation.model_dump(mode="json"))
    lines += [f"- {k}: {_metric(v)}" for k, v in metrics[:MAX_METRIC_LINES]] or [t("sharing.card.no_evaluation", lang)]
    if len(metrics) > MAX_METRIC_LINES:
        lines.append(t("sharing.card.more_metrics", lang, count=len(metrics) - MAX_METRIC_LINES))
    lines += ["", f"### {t('sharing.card.site', lang)}", ""]
    lines += [f"- {node}: {', '.join(fields)}" for node, fields in sorted(m.site_fields.items())] or [
        t("sharing.card.no_site", lang)]
    lines += ["", f"### {t('sharing.card.blocks', lang)}", ""]
    lines += [f"- `{tid}`: {src.distribution} {src.version}" for tid, src in sorted(m.blocks.items())]
    lines += ["", f"### {t('sharing.card.license', lang)}", "", t("sharing.license.ultralytics", lang),
              t("sharing.license.blocks", lang), ""]
    return lines


def model_card(manifest: BundleManifest) -> str:
    """Markdown: title, then one section per language (description, models, metrics, site settings, licence)."""
    lines = [f"# {manifest.name} {manifest.version}", ""]
    for lang in LANGUAGES:
        lines += _section(manifest, lang)
    return "\n".join(lines)
