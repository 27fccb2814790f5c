"""The Share page's logic against a real local-folder registry: versions published through workbench.features.sharing
with a
key made in the test's home, a real (untrained) YOLO checkpoint, an untrusted district and a tampered version."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from sharing_support import yolo_pipeline

from tests.workbench.apps.ui.share_registry import DESCRIPTION, GATE, PIPELINES
from workbench.apps.ui import share_view as view
from workbench.core.errors import WorkbenchError
from workbench.engine.spec import load_spec
from workbench.features.sharing.catalog import list_versions
from workbench.features.sharing.install import clear_site_pending
from workbench.features.sharing.store import file_key


def by_ref(store):
    return {e.ref: e for e in list_versions(store)}


def test_catalog_rows_show_newest_versions_with_trust_and_description(registry):
    entries = list_versions(registry)
    shown = {e.ref: view.entry_row(e, "zh") for e in view.shown_entries(entries)}
    assert set(shown) == {f"{GATE}@1.0.1", "haidian/broken-count@1.0.0", "chaoyang/people-count@2.0.0"}
    gate = shown[f"{GATE}@1.0.1"]
    assert (gate.trust, gate.description, gate.task) == ("trusted", DESCRIPTION["zh"], "count")
    assert gate.metrics == {"detection.mAP50": 0.61, "detection.precision": 0.7,
                            "events.count_line.line_cross.f1": 0.9, "detection.per_class.car.recall": 0.5}
    assert shown["chaoyang/people-count@2.0.0"].trust == "untrusted"
    assert view.entry_row(entries[0], "en").description in (DESCRIPTION["en"], "Counts people")
    every = view.shown_entries(entries, all_versions=True)
    assert f"{GATE}@1.0.0" in {e.ref for e in every} and len(every) == 4


def test_search_and_filters(registry):
    entries = list_versions(registry)
    assert {e.ref for e in view.shown_entries(entries, text="闸口")} == {f"{GATE}@1.0.1",
                                                                        "haidian/broken-count@1.0.0"}
    assert [e.ref for e in view.shown_entries(entries, tag="people")] == ["chaoyang/people-count@2.0.0"]
    assert [e.ref for e in view.shown_entries(entries, district="chaoyang", text="gate")] == []
    assert view.filter_choices(entries) == (["counting", "people", "vehicles"], ["count", "detect"],
                                            ["chaoyang", "haidian"])


def test_next_version_is_the_next_patch_of_what_is_published(registry):
    entries = list_versions(registry)
    assert view.next_version(entries, "haidian", "gate-count") == "1.0.2"
    assert view.next_version(entries, "haidian", "new-thing") == "1.0.0"
    assert view.next_version(entries, "haidian", "people-count") == "1.0.0"  # another district's name is free here
    assert view.suggest_name("我的 Gate_Count") == "gate_count"


def test_details_list_files_metrics_and_a_verified_preview(registry):
    m = by_ref(registry)[f"{GATE}@1.0.1"].release.manifest
    assert {r["role"] for r in view.file_rows(m)} >= {"weights", "model_card", "pipeline", "preview"}
    assert {"section": "events", "metric": "count_line.line_cross.f1", "value": 0.9} in view.metric_rows(m)
    suffix, data = view.fetch_preview(registry, m)
    assert suffix == ".jpg" and cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR).shape == (48, 64, 3)
    old = by_ref(registry)[f"{GATE}@1.0.0"].release.manifest
    stored = Path(registry.root) / file_key("haidian", "gate-count", "1.0.0", old.upload_id, "preview.jpg")
    stored.write_bytes(stored.read_bytes()[:-1] + b"\x00")
    assert view.fetch_preview(registry, old) is None  # a changed preview is not shown


def test_import_installs_pipeline_and_lists_site_settings_to_redraw(registry):
    entry = by_ref(registry)[f"{GATE}@1.0.1"]
    seen = []
    progress = view.ByteProgress(entry.release.manifest, lambda f, path: seen.append(f))
    _pulled, installed = view.import_version(registry, entry, progress)
    assert seen[-1] == pytest.approx(1.0) and seen == sorted(seen)
    assert installed.pipeline == view.installed_pipeline(entry.release.manifest)
    assert view.is_imported(entry.release.manifest)
    assert "AGPL-3.0" in view.model_card(entry.release.manifest)
    spec = load_spec(installed.pipeline)
    assert view.site_pending_rows(spec) == [("count_line", ["start", "end"])]
    assert view.site_pending_rows(clear_site_pending(spec, "count_line")) == []
    view.import_version(registry, entry)  # importing again replaces the earlier import
    assert view.is_imported(entry.release.manifest)


@pytest.mark.parametrize(("ref", "code"), [("haidian/broken-count@1.0.0", "registry_file_tampered"),
                                           ("chaoyang/people-count@2.0.0", "registry_untrusted")])
def test_refused_import_leaves_nothing(registry, ref, code):
    entry = by_ref(registry)[ref]
    with pytest.raises(WorkbenchError) as caught:
        view.import_version(registry, entry)
    assert [p.code for p in caught.value.problems] == [code]
    assert not view.is_imported(entry.release.manifest)
    assert not view.installed_pipeline(entry.release.manifest).exists()
    assert not view.imported_dir(entry.district, entry.name, entry.version).exists()


def test_key_rows_never_show_a_key(registry):
    own = view.own_key_rows()
    assert [r["district"] for r in own] == ["haidian"]
    assert [r["district"] for r in view.trusted_key_rows()] == ["haidian"]
    assert own[0]["key_id"] == view.trusted_key_rows()[0]["key_id"]
    assert all("KEY" not in v for r in own for v in r.values())


def test_publish_from_a_registered_mlflow_model_version(registry, untrained_pt, tmp_path):
    from workbench.features.training.tracking import client, configured_uri

    uri = configured_uri()
    assert view.registered_versions(uri) == []  # no store yet: nothing offered, nothing created
    weights = tmp_path / "artifacts" / "weights"
    weights.mkdir(parents=True)
    shutil.copyfile(untrained_pt, weights / "best.pt")
    mlflow = client(uri)
    mlflow.create_registered_model("gate-model")
    for _ in range(2):
        mlflow.create_model_version("gate-model", source=str(weights))
    assert view.registered_versions(uri) == ["gate-model/2", "gate-model/1"]
    seen = []
    result = view.publish_version(registry, PIPELINES / "vehicle_count_line.yaml", lambda f, p: seen.append(f),
                                  name="gate-motion", version="1.0.0", district="haidian", description=DESCRIPTION,
                                  model_version=None, tags=["vehicles"], task="count")
    assert result["ref"] == "haidian/gate-motion@1.0.0" and seen[-1] == pytest.approx(1.0)
    yolo = tmp_path / "yolo.yaml"
    yolo.write_text(yolo_pipeline().to_yaml(), encoding="utf-8")
    view.publish_version(registry, yolo, lambda f, p: None, name="gate-mlflow", version="1.0.0", district="haidian",
                         description=DESCRIPTION, model_version="gate-model/2", tags=[], task="count")
    m = by_ref(registry)["haidian/gate-mlflow@1.0.0"].release.manifest
    assert any(f.path.endswith(".pt") and f.role == "weights" for f in m.files)
    with pytest.raises(WorkbenchError) as caught:  # published versions never change
        view.publish_version(registry, yolo, lambda f, p: None, name="gate-mlflow", version="1.0.0",
                             district="haidian", description=DESCRIPTION, model_version="gate-model/2")
    assert [p.code for p in caught.value.problems] == ["registry_version_exists"]


def test_a_display_name_from_another_district_is_shown_as_written_not_as_markdown():
    """An image in a title would make every viewer's browser fetch the publisher's URL."""
    from workbench.apps.ui.share_view import as_plain_markdown

    shown = as_plain_markdown("渣土车 ![x](http://evil.example/p.png) **big**")
    assert shown == r"渣土车 \!\[x\]\(http://evil\.example/p\.png\) \*\*big\*\*"
    assert as_plain_markdown("东门计数") == "东门计数"
