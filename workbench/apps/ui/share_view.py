"""What the Share page (shared algorithm registry) shows and does, as plain data and functions without Streamlit:
catalog rows, search choices, metrics, files, the next version to publish, keys, MLflow model versions, import and
the site settings an imported pipeline still waits for. The page (workbench/apps/ui/pages/share.py) draws it.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import Version

from workbench.apps.ui.plain_text import as_plain_markdown, plain_problem, plain_t  # noqa: F401 - used by the page
from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import t
from workbench.core.paths import user_pipelines_dir, workbench_home
from workbench.engine.spec import PipelineSpec
from workbench.features.sharing import keys
from workbench.features.sharing.catalog import Entry, latest
from workbench.features.sharing.install import Installed, install, pipeline_file_name
from workbench.features.sharing.manifest import BundleManifest
from workbench.features.sharing.pull import Pulled, pull
from workbench.features.sharing.store import RegistryStore, file_key
from workbench.records.roles import Actor, Permission, require

TRUST_STATUSES = ("trusted", "untrusted", "unsigned", "bad_signature", "wrong_district", "broken")
TRUST_COLORS = {"trusted": "green", "untrusted": "orange", "unsigned": "orange", "bad_signature": "red",
                "wrong_district": "red", "broken": "gray"}
KEY_METRICS = ("mAP50", "map50", "mAP50-95", "map50_95", "precision", "recall", "f1")
KEY_METRICS_SHOWN = 4
PREVIEW_MAX_BYTES = 20 * 1024 * 1024
MODEL_CARD_MAX_BYTES = 256 * 1024
VERSIONS_SHOWN = 20


# -- the catalog -------------------------------------------------------------------------------------------------------
def trust_status(entry: Entry) -> str:
    """trusted | untrusted | unsigned | bad_signature | wrong_district, or `broken` when unreadable."""
    return entry.verdict.status if entry.verdict else "broken"


def trust_badge(status: str, lang: str) -> tuple[str, str, str]:
    """(label, colour, help text) of a trust status: what it means and what to do about it."""
    return t(f"app.share.trust.{status}", lang), TRUST_COLORS[status], t(f"app.share.trust_help.{status}", lang)


def flat_metrics(evaluation: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Every number in the evaluation as `section.metric` (nested dicts joined with dots); null and text left out."""
    found: dict[str, float] = {}
    for key, value in evaluation.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            found.update(flat_metrics(value, f"{name}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            found[name] = float(value)
    return found


def key_metrics(evaluation: Mapping[str, Any]) -> dict[str, float]:
    """The few metrics a catalog row shows: detection mAP50, precision, recall, and event F1 scores first."""
    flat = flat_metrics(evaluation)

    def rank(name: str) -> int:
        last = name.rsplit(".", 1)[-1]
        return KEY_METRICS.index(last) if last in KEY_METRICS else len(KEY_METRICS)

    chosen = sorted((n for n in flat if rank(n) < len(KEY_METRICS)), key=rank)[:KEY_METRICS_SHOWN]
    return {n: flat[n] for n in chosen}


def format_classes(classes: Iterable[str], limit: int = 8) -> str:
    """At most `limit` class names, then how many more (an untrained YOLO has 80)."""
    names = list(classes)
    more = f" … (+{len(names) - limit})" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more if names else "-"


def format_metrics(metrics: Mapping[str, float]) -> str:
    return " · ".join(f"{name.split('.', 1)[-1]} {value:.3f}" for name, value in metrics.items()) or "-"


@dataclass(frozen=True)
class EntryRow:
    """One catalog line: what a person needs to pick an algorithm."""

    ref: str
    district: str
    name: str
    version: str
    title: str  # the display name in the page's language, else the id
    trust: str
    description: str
    task: str
    tags: tuple[str, ...]
    classes: tuple[str, ...]
    metrics: dict[str, float]
    created: str
    problem: Problem | None = None


def entry_row(entry: Entry, lang: str) -> EntryRow:
    """The row of `entry`, its description in the page's language; an unreadable version says why."""
    m = entry.release.manifest if entry.release else None
    return EntryRow(entry.ref, entry.district, entry.name, entry.version,
                    m.title.shown(lang, entry.name) if m else entry.name, trust_status(entry),
                    (m.description.zh if lang == "zh" else m.description.en) if m else "",
                    m.task if m else "", m.tags if m else (), m.classes if m else (),
                    key_metrics(m.evaluation.model_dump()) if m else {}, m.created if m else "", entry.problem)


def shown_entries(entries: list[Entry], text: str = "", tag: str = "", task: str = "", district: str = "",
                  all_versions: bool = False) -> list[Entry]:
    """The catalog after search and filters: the newest readable version of each algorithm (or all versions);
    unreadable versions stay listed so a broken release is seen, not hidden."""
    if not all_versions:
        entries = latest(entries) + [e for e in entries if e.release is None]
    return [e for e in entries if e.matches(text.strip(), tag, task, district)]


def filter_choices(entries: Iterable[Entry]) -> tuple[list[str], list[str], list[str]]:
    """(tags, tasks, districts) found in the registry, sorted, for the filter boxes."""
    tags, tasks, districts = set(), set(), set()
    for e in entries:
        districts.add(e.district)
        if e.release:
            tags.update(e.release.manifest.tags)
            tasks.add(e.release.manifest.task)
    return sorted(tags), sorted(tasks), sorted(districts)


def find_ref(entries: Iterable[Entry], ref: str | None) -> Entry | None:
    return next((e for e in entries if e.ref == ref), None) if ref else None


# -- one version in detail ---------------------------------------------------------------------------------------------
def format_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def metric_rows(manifest: BundleManifest) -> list[dict[str, Any]]:
    """Every metric of the version: section (detection | events), metric, value."""
    return [{"section": n.split(".", 1)[0], "metric": n.split(".", 1)[1], "value": round(v, 4)}
            for n, v in flat_metrics(manifest.evaluation.model_dump()).items()]


def file_rows(manifest: BundleManifest) -> list[dict[str, Any]]:
    return [{"path": f.path, "role": f.role, "size": format_size(f.size)} for f in manifest.files]


def total_size(manifest: BundleManifest) -> int:
    return sum(f.size for f in manifest.files)


def fetch_preview(store: RegistryStore, manifest: BundleManifest) -> tuple[str, bytes] | None:
    """The preview (suffix, bytes) straight from the store, only if its size and sha256 match the manifest."""
    entry = next((f for f in manifest.files if f.role == "preview"), None)
    if entry is None or entry.size > PREVIEW_MAX_BYTES:
        return None
    try:
        data = store.get_bytes(file_key(manifest.district, manifest.name, manifest.version, manifest.upload_id,
                                        entry.path), max_bytes=entry.size)  # no more than the signed size is read
    except WorkbenchError:
        return None
    if len(data) != entry.size or hashlib.sha256(data).hexdigest() != entry.sha256:
        return None
    return Path(entry.path).suffix.lower(), data


# -- import ------------------------------------------------------------------------------------------------------------
def imported_dir(district: str, name: str, version: str) -> Path:
    """Where a pulled bundle is kept on this machine (the same folder as `workbench registry pull`)."""
    return workbench_home() / "imported" / district / name / version


def installed_pipeline(manifest: BundleManifest) -> Path:
    return user_pipelines_dir() / f"{pipeline_file_name(manifest)}.yaml"


def is_imported(manifest: BundleManifest) -> bool:
    return installed_pipeline(manifest).is_file() and imported_dir(manifest.district, manifest.name,
                                                                   manifest.version).is_dir()


def model_card(manifest: BundleManifest) -> str | None:
    """The model card of an imported (verified) bundle, else None."""
    path = imported_dir(manifest.district, manifest.name, manifest.version) / "model_card.md"
    if not path.is_file():
        return None
    with open(path, "rb") as f:  # its size is the publisher's choice: the page shows at most MODEL_CARD_MAX_BYTES
        data = f.read(MODEL_CARD_MAX_BYTES + 1)
    text = data[:MODEL_CARD_MAX_BYTES].decode("utf-8", errors="replace")
    return text + "\n…" if len(data) > MODEL_CARD_MAX_BYTES else text


class ByteProgress:
    """Per-file progress callbacks (path, done, total) turned into one fraction over all files of a bundle."""

    def __init__(self, manifest: BundleManifest, report: Callable[[float, str], None]):
        self.sizes = {f.path: f.size for f in manifest.files}
        self.total = max(sum(self.sizes.values()), 1)
        self.done: dict[str, int] = {}
        self.report = report

    def __call__(self, path: str, done: int, total: int) -> None:
        self.done[path] = min(done, self.sizes.get(path, done))
        self.report(min(sum(self.done.values()) / self.total, 1.0), path)


def import_version(store: RegistryStore, entry: Entry, progress: Callable[[str, int, int], None] | None = None,
                   actor: Actor | None = None) -> tuple[Pulled, Installed]:
    """Pull as `actor` (every hash and the signature checked) and install `entry`; an earlier import of it is
    replaced."""
    require(actor, Permission.REGISTRY_PULL)  # before the earlier import is removed
    dest = imported_dir(entry.district, entry.name, entry.version)
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    pulled = pull(store, entry.district, entry.name, entry.version, dest, progress, actor=actor)
    return pulled, install(pulled.folder, pulled.release.manifest)


def site_pending_rows(spec: PipelineSpec, key: str = "site_pending") -> list[tuple[str, list[str]]]:
    """(node, settings) an imported pipeline still waits for: site settings to redraw on a frame of this site's
    camera (`site_pending`), or settings reaching outside to confirm (`outward_pending`)."""
    pending = (spec.meta.model_extra or {}).get(key) or {}
    return [(node, list(fields)) for node, fields in pending.items() if spec.node(node) is not None]




# -- publish -----------------------------------------------------------------------------------------------------------
def next_version(entries: Iterable[Entry], district: str, name: str) -> str:
    """The next patch after the newest published version of district/name (1.0.0 for a new algorithm)."""
    versions = []
    for e in entries:
        if e.district == district and e.name == name:
            try:
                versions.append(Version(e.version))
            except ValueError:
                continue
    if not versions:
        return "1.0.0"
    top = max(versions)
    return f"{top.major}.{top.minor}.{top.micro + 1}"


def suggest_name(pipeline_stem: str) -> str:
    """A registry name from a pipeline file name: lower case, only a-z 0-9 - _, at most 64 characters."""
    chars = [c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in pipeline_stem.lower()]
    name = "".join(chars).strip("-_")[:64]
    return name or "algorithm"


def split_tags(text: str) -> list[str]:
    return [x.strip() for x in text.replace("，", ",").split(",") if x.strip()]


def registered_versions(uri: str) -> list[str]:
    """Registered MLflow model versions as NAME/VERSION (newest first per model), for publishing."""
    from workbench.apps.ui.train_view import store_exists
    from workbench.features.training.tracking import client

    if not store_exists(uri):
        return []
    mlflow = client(uri)
    refs = []
    for model in mlflow.search_registered_models():
        for v in mlflow.search_model_versions(f"name='{model.name}'", max_results=VERSIONS_SHOWN,
                                              order_by=["version_number DESC"]):
            refs.append(f"{model.name}/{v.version}")
    return refs


# -- keys --------------------------------------------------------------------------------------------------------------
def own_key_rows() -> list[dict[str, str]]:
    """This machine's signing keys: district and key id (never the key)."""
    return [{"district": k.district, "key_id": k.key_id} for k in keys.own_keys()]


def trusted_key_rows() -> list[dict[str, str]]:
    return [{"district": k.district, "key_id": k.key_id} for k in keys.trusted_keys()]


def publish_version(store: RegistryStore, pipeline: str | Path, progress: Callable[[float, str], None],
                    actor: Actor | None = None, **fields: Any) -> dict[str, Any]:
    """Build, sign and publish a version as `actor` (a publisher of the district; see
    workbench.features.sharing.outbox.prepare for `fields`); what the page shows."""
    from workbench.engine.spec import load_spec
    from workbench.features.sharing.outbox import prepare, send
    from workbench.features.sharing.publish import check_publisher

    check_publisher(actor, fields["district"])  # before the bundle is built
    folder, manifest = prepare(load_spec(pipeline), **fields)
    published = send(folder, manifest, store, ByteProgress(manifest, progress), actor)
    return {"ref": f"{manifest.district}/{manifest.name}@{manifest.version}", "files": len(manifest.files),
            "key": published.key}
