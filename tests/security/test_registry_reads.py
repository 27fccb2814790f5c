"""What the registry hands over is another district's data: the pipeline installed is the one people reviewed, no
read loads an object larger than its cap, and no registry text reaches the page as Markdown (an image in it would
make every viewer's browser fetch the publisher's URL)."""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest
from ui_support import app_test, as_user

from workbench.apps.ui import share_view as view
from workbench.core.errors import WorkbenchError
from workbench.core.paths import user_pipelines_dir
from workbench.engine.spec import load_spec, parse_spec
from workbench.features.sharing import keys
from workbench.features.sharing.bundle import file_entry
from workbench.features.sharing.catalog import list_versions
from workbench.features.sharing.install import install
from workbench.features.sharing.local_store import LocalStore
from workbench.features.sharing.outbox import prepare
from workbench.features.sharing.publish import publish
from workbench.features.sharing.pull import pull
from workbench.features.sharing.store import RELEASE_MAX_BYTES, file_key, release_key

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"
MOTION = PIPELINES / "vehicle_count_line.yaml"
DESCRIPTION = {"en": "Counts vehicles crossing the gate line", "zh": "统计穿过闸口线的车辆"}
REF = ("haidian", "gate", "1.0.0")
TRACKER = "![x](http://127.0.0.1:9/track.png)"
HTML = "<img src=http://127.0.0.1:9/html.png>"
HOSTILE = f"Counts trucks {TRACKER} {HTML} [click](http://127.0.0.1:9/link) **bold** $x$"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A workbench home whose registry is a local folder; the haidian district signs (and trusts its own key)."""
    home = tmp_path / "home"
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_REGISTRY_URL", str(home / "registry"))
    monkeypatch.setenv("WORKBENCH_REGISTRY_DISTRICT", "haidian")
    monkeypatch.delenv("WORKBENCH_REGISTRY_POLICY", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    keys.generate("haidian")
    return home


@pytest.fixture
def store(home) -> LocalStore:
    return LocalStore(home / "registry")


def republish(folder: Path, manifest, store, changed: tuple[str, ...] = (), **fields):
    """Publish `folder` signed by haidian, the manifest re-hashing the `changed` files and taking `fields`."""
    files = tuple(file_entry(folder, f.path, f.role) if f.path in changed else f for f in manifest.files)
    return publish(folder, manifest.model_copy(update={"files": files, **fields}), store).release.manifest


# -- a: what is installed is what was reviewed -------------------------------------------------------------------------
def test_a_bundle_whose_pipeline_yaml_is_not_the_reviewed_pipeline_is_refused(home, store, tmp_path):
    folder, manifest = prepare(MOTION, name="gate", version="1.0.0", district="haidian", description=DESCRIPTION)
    # the signed pipeline.yaml gains a webhook the signed manifest (what `registry show` displays) does not have
    data = yaml.safe_load((folder / "pipeline.yaml").read_text(encoding="utf-8"))
    data["nodes"].append({"id": "leak", "type": "sinks/webhook@v1",
                          "config": {"url": "http://127.0.0.1:9/x", "allowed_hosts": ["127.0.0.1"]}})
    data["edges"].append({"from": "count_line.events", "to": "leak.events"})
    (folder / "pipeline.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    republish(folder, manifest, store, changed=("pipeline.yaml",))

    pulled = pull(store, *REF, tmp_path / "pulled")  # every file matches its signed hash
    assert pulled.verdict.trusted
    with pytest.raises(WorkbenchError) as refused:
        install(pulled.folder, pulled.release.manifest)
    (problem,) = refused.value.problems
    assert problem.code == "registry_pipeline_mismatch" and "nodes.leak" in problem.params["detail"]
    for lang in ("en", "zh"):
        assert "haidian/gate@1.0.0" in problem.message(lang) and "pipeline.yaml" in problem.message(lang)
    assert not any(user_pipelines_dir().glob("*.yaml"))  # nothing installed


def test_the_installed_pipeline_is_the_manifests(home, store, tmp_path):
    folder, manifest = prepare(MOTION, name="gate", version="1.0.0", district="haidian", description=DESCRIPTION)
    republish(folder, manifest, store)
    pulled = pull(store, *REF, tmp_path / "pulled")
    installed = load_spec(install(pulled.folder, pulled.release.manifest).pipeline)
    reviewed = parse_spec(pulled.release.manifest.pipeline)
    assert [n.model_dump() for n in installed.nodes] == [n.model_dump() for n in reviewed.nodes]
    assert installed.edges == reviewed.edges


# -- b: size caps checked before reading -------------------------------------------------------------------------------
def test_a_huge_release_json_is_refused_without_being_read(home, store, tmp_path):
    path = Path(store.root) / release_key(*REF)
    path.parent.mkdir(parents=True)
    with open(path, "wb") as f:  # sparse: 64 MiB that read_bytes() would load
        f.truncate(64 * 1024 * 1024)
    tracemalloc.start()
    try:
        (entry,) = list_versions(store)
        with pytest.raises(WorkbenchError) as refused:
            pull(store, *REF, tmp_path / "pulled")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < RELEASE_MAX_BYTES  # nothing near the object's size was ever in memory
    for problem in (entry.problem, refused.value.problems[0]):
        assert problem.code == "registry_too_big"
        assert problem.params["item"] == release_key(*REF) and problem.params["cap"] == f"{RELEASE_MAX_BYTES:,}"
        assert release_key(*REF) in problem.message("en") and f"{RELEASE_MAX_BYTES:,}" in problem.message("zh")
    assert not (tmp_path / "pulled").exists()


def test_get_bytes_reads_at_most_its_cap(store):
    key = "haidian/gate/1.0.0/uploads/u1/preview.jpg"
    path = Path(store.root) / key
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x" * 11)
    assert store.get_bytes(key, max_bytes=11) == b"x" * 11
    with pytest.raises(WorkbenchError) as refused:
        store.get_bytes(key, max_bytes=10)
    assert refused.value.problems[0].code == "registry_too_big" and refused.value.problems[0].params["size"] == "11"


def test_a_preview_larger_than_its_signed_size_is_not_read(home, store, tmp_path, monkeypatch):
    preview = tmp_path / "frame.jpg"
    preview.write_bytes(b"\xff\xd8 a small preview")
    folder, manifest = prepare(MOTION, name="gate", version="1.0.0", district="haidian", description=DESCRIPTION,
                               preview=preview)
    manifest = republish(folder, manifest, store)
    assert view.fetch_preview(store, manifest) is not None
    stored = Path(store.root) / file_key(*REF, manifest.upload_id, "preview.jpg")
    with open(stored, "ab") as f:  # the store now serves 64 MiB more than the manifest signed
        f.truncate(64 * 1024 * 1024)
    tracemalloc.start()
    try:
        assert view.fetch_preview(store, manifest) is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024


def test_a_bundle_file_larger_than_its_signed_size_is_not_downloaded(home, store, tmp_path):
    folder, manifest = prepare(MOTION, name="gate", version="1.0.0", district="haidian", description=DESCRIPTION)
    manifest = republish(folder, manifest, store)
    stored = Path(store.root) / file_key(*REF, manifest.upload_id, "model_card.md")
    with open(stored, "ab") as f:
        f.truncate(stored.stat().st_size + 64 * 1024 * 1024)
    with pytest.raises(WorkbenchError) as refused:
        pull(store, *REF, tmp_path / "pulled")
    assert [p.code for p in refused.value.problems] == ["registry_too_big"]
    assert list(tmp_path.glob("*pulled*")) == []  # neither the folder nor its staging copy is left


# -- c: registry text is shown as written, never as Markdown -----------------------------------------------------------
MARKDOWN_ELEMENTS = ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success")
RENDER = MarkdownIt("commonmark", {"html": True})  # stricter than Streamlit: raw HTML would come through here


def fetching(text: str) -> list[str]:
    """What in `text`, drawn as Markdown, would be an image, a link, raw HTML, or a bare address GFM links."""
    html = RENDER.render(text)
    found = re.findall(r"<(?:img|a|iframe|video|audio|source)\b[^>]*>", html)
    found += re.findall(r"https?://[\w-]+\.[\w.-]*", text)  # an escaped '.' ("127\.0") stops a GFM autolink
    return found


def rendered(at: AppTest) -> dict[str, list[str]]:
    """Every string the page hands to Markdown, by element kind (buttons too: their labels are Markdown)."""
    found = {kind: [str(e.value) for e in at.get(kind)] for kind in MARKDOWN_ELEMENTS}
    found["button"] = [b.label for b in at.button]
    return found


def hostile_registry(store, tmp_path) -> str:
    """haidian/gate@1.0.0: every free text of the release and of its bundle carries images, HTML and links."""
    folder, manifest = prepare(MOTION, name="gate", version="1.0.0", district="haidian",
                               description={"en": HOSTILE, "zh": HOSTILE}, tags=(f"t{TRACKER}",),
                               title={"en": f"Gate {TRACKER}", "zh": f"闸口 {HTML}"})
    card = folder / "model_card.md"
    card.write_text(f"# Model card\n\n{HOSTILE}\n", encoding="utf-8")
    republish(folder, manifest, store, changed=("model_card.md",), classes=(f"truck{TRACKER}", HTML),
              evaluation=manifest.evaluation.model_copy(update={"detection": {f"map50{TRACKER}": 0.5}}),
              site_fields={"count_line": (f"start{TRACKER}", HTML)})
    return "haidian/gate@1.0.0"


def _share_page() -> None:
    from workbench.apps.ui.pages.share import share_page

    share_page()


def test_registry_text_on_the_share_page_draws_no_image_or_link(home, store, tmp_path):
    ref = hostile_registry(store, tmp_path)
    at = as_user(AppTest.from_function(_share_page, default_timeout=60))
    at.session_state["lang"] = "en"
    at.query_params["algo"] = ref
    at.run()
    assert not at.exception, at.exception
    at.button(key="share_import").click().run()  # the import shows the site settings and the model card too
    assert not at.exception, at.exception
    shown = rendered(at)
    offending = {kind: [(v, fetching(v)) for v in values if fetching(v)] for kind, values in shown.items()}
    assert not any(offending.values()), offending
    assert any(s.startswith("haidian/gate@1") and "imported" in s for s in shown["success"]), shown["success"]
    everything = " ".join(v for values in shown.values() for v in values)
    assert r"\!\[x\]\(http://127\.0\.0\.1:9/track\.png\)" in everything  # still there, as written
    assert r"\<img src=http://127\.0\.0\.1:9/html\.png\>" in everything
    texts = [e.value for e in at.text]  # the description and the model card: plain text, no Markdown at all
    assert HOSTILE in texts and any(t.startswith("# Model card") and HOSTILE in t for t in texts)


def hostile_import(home: Path) -> Path:
    """What an import leaves on this machine, every free text hostile: a zoo model (description, classes from the
    manifest) and a pipeline in the library (its name, a rule's class names that never arrive: a warning)."""
    models = home / "models"
    models.mkdir(parents=True)
    model = {"id": "north.gate-1_0_0", "description": HOSTILE, "classes": [f"truck{TRACKER}"],
             "weights": {"file": "north.gate-1_0_0/w.onnx"}, "source": f"registry north/gate 1.0.0 {HTML}"}
    (models / "north.gate-1_0_0.yaml").write_text(yaml.safe_dump(model), encoding="utf-8")
    data = yaml.safe_load((PIPELINES / "vehicle_count_line.yaml").read_text(encoding="utf-8"))
    data["meta"] = {"name": f"闸口 {TRACKER}", "origin": "north/gate@1.0.0"}
    for node in data["nodes"]:
        if node["id"] == "motion":
            node.update(type="detection/yolo@v1", config={"model": model["id"]})
        if node["id"] == "count_line":
            node["config"]["classes"] = [f"bus{TRACKER}", HTML]
    path = user_pipelines_dir() / "north-gate-1_0_0.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_an_imported_pipeline_and_model_draw_no_image_or_link_on_the_build_page(home):
    from workbench.apps.ui.draft import open_draft
    from workbench.apps.ui.library import PipelineEntry

    path = hostile_import(home)
    draft = open_draft(PipelineEntry(path.stem, path, False, load_spec(path).meta.name))
    draft.select("motion")  # its settings show the chosen zoo model's description
    at = app_test()
    at.session_state["lang"] = "en"
    at.session_state["draft"] = draft
    at.run()
    assert not at.exception, at.exception
    shown = rendered(at)
    offending = {kind: [(v, fetching(v)) for v in values if fetching(v)] for kind, values in shown.items()}
    assert not any(offending.values()), offending
    everything = " ".join(v for values in shown.values() for v in values)
    assert r"闸口 \!\[x\]" in everything  # the header names the pipeline, as written
    assert r"Counts trucks \!\[x\]" in everything  # the model's description under the model picker
    assert r"bus\!\[x\]" in everything  # the class warning in the problems panel
