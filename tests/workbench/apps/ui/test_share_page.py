"""The Share page in AppTest against a real local-folder registry (see share_registry.publish_registry): browse and
search, a refused import, an import adapted on the Build page, publishing from the page, and keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from streamlit.testing.v1 import AppTest
from ui_support import as_user

from tests.workbench.apps.ui.share_registry import GATE, PIPELINES, share_env
from workbench.apps.ui import share_view as view
from workbench.core.i18n import t
from workbench.core.paths import user_pipelines_dir
from workbench.engine.spec import load_spec
from workbench.features.sharing.catalog import list_versions
from workbench.features.sharing.config import open_store
from workbench.features.sharing.keys import public_pem, trusted_keys

MOTION = str(PIPELINES / "vehicle_count_line.yaml")


def _page() -> None:
    from workbench.apps.ui.pages.share import share_page

    share_page()


def _router() -> None:
    """The Share page as the default of a small multipage app with the Build and Evaluate pages it opens."""
    import streamlit as st

    from workbench.apps.ui.pages.build import build_page
    from workbench.apps.ui.pages.evaluate import evaluate_page
    from workbench.apps.ui.pages.share import share_page

    pages = {"share": st.Page(share_page, title="share", url_path="share", default=True),
             "build": st.Page(build_page, title="build", url_path="build"),
             "evaluate": st.Page(evaluate_page, title="evaluate", url_path="evaluate")}
    st.session_state["pages"] = pages
    st.navigation(list(pages.values())).run()


def _banner() -> None:
    """The Build page's site banner over the draft in session state."""
    import streamlit as st

    from workbench.apps.ui.share_parts import site_pending_banner

    site_pending_banner(st.session_state["draft"])


def _app(lang: str = "en", algo: str | None = None, script=_page) -> AppTest:
    at = as_user(AppTest.from_function(script, default_timeout=60))
    at.session_state["lang"] = lang
    if algo:
        at.query_params["algo"] = algo
    at.run()
    assert not at.exception, at.exception
    return at


def _values(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in at.get(kind)]


def _rows(at: AppTest) -> set[str]:
    return {b.key.removeprefix("share_open::") for b in at.button if b.key.startswith("share_open::")}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_catalog_shows_the_newest_versions_with_their_trust(registry, lang):
    at = _app(lang)
    assert at.title[0].value == t("app.share.title", lang)
    assert t("app.share.where", lang, store=registry.describe(lang), district="haidian") in _values(at, "caption")
    assert _rows(at) == {f"{GATE}@1.0.1", "haidian/broken-count@1.0.0", "chaoyang/people-count@2.0.0"}
    badges = " ".join(_values(at, "markdown"))
    assert t("app.share.trust.untrusted", lang) in badges and t("app.share.trust.trusted", lang) in badges
    assert ("统计穿过闸口线的小汽车" in _values(at, "caption")) == (lang == "zh")


def test_search_filters_and_all_versions(registry):
    at = _app()
    at.text_input(key="share_search").input("people").run()
    assert _rows(at) == {"chaoyang/people-count@2.0.0"}
    at.text_input(key="share_search").input("").run()
    at.selectbox(key="share_district").set_value("haidian").run()
    at.toggle(key="share_all_versions").set_value(True).run()
    assert _rows(at) == {f"{GATE}@1.0.1", f"{GATE}@1.0.0", "haidian/broken-count@1.0.0"}


def test_a_tampered_version_is_refused_and_nothing_is_imported(registry):
    ref = "haidian/broken-count@1.0.0"
    at = _app(algo=ref)
    at.button(key="share_import").click().run()
    assert not at.exception, at.exception
    errors = _values(at, "error")
    assert errors[0] == t("app.share.import_refused", "en")
    assert any(e.startswith(r"pipeline\.yaml:") for e in errors[1:])  # registry text is escaped for Markdown
    entry = next(e for e in list_versions(registry) if e.ref == ref)
    assert not view.is_imported(entry.release.manifest)
    assert not view.installed_pipeline(entry.release.manifest).exists()


def test_an_untrusted_version_is_refused_with_what_to_do(registry):
    at = _app(algo="chaoyang/people-count@2.0.0")
    at.button(key="share_import").click().run()
    errors = _values(at, "error")
    assert len(errors) == 2 and "chaoyang" in errors[1]
    assert not (view.imported_dir("chaoyang", "people-count", "2.0.0")).exists()


def test_import_then_redraw_on_the_build_page(registry):
    at = _app(algo=f"{GATE}@1.0.1", script=_router)
    at.button(key="share_import").click().run()
    assert not at.exception, at.exception
    assert any(s.startswith(view.as_plain_markdown(f"{GATE}@1.0.1")) for s in _values(at, "success"))
    assert t("app.share.site_intro", "en") in _values(at, "warning")
    assert r"- **count\_line**: start, end" in _values(at, "markdown")
    assert "AGPL-3.0" in " ".join(_values(at, "text"))  # the model card, from the verified bundle, as plain text

    at.button(key="share_open_build").click().run()
    assert not at.exception, at.exception
    draft = at.session_state["draft"]
    installed = next(e for e in list_versions(registry) if e.ref == f"{GATE}@1.0.1").release.manifest
    assert draft.name == view.installed_pipeline(installed).stem
    assert at.title[0].value == t("app.build.title", "en")

    banner = as_user(AppTest.from_function(_banner, default_timeout=60))
    banner.session_state["lang"] = "en"
    banner.session_state["draft"] = draft
    banner.run()
    assert view.plain_t("app.share.site_banner", "en", node="count_line", fields="start, end") in _values(
        banner, "warning")
    banner.button(key="site_done::count_line").click().run()
    assert not banner.exception, banner.exception
    assert view.site_pending_rows(banner.session_state["draft"].spec) == []
    assert not banner.get("warning")


def test_import_opens_the_evaluate_page_on_the_imported_pipeline(registry):
    gate = next(e for e in list_versions(registry) if e.ref == f"{GATE}@1.0.1")
    if not view.is_imported(gate.release.manifest):  # when run on its own
        view.import_version(registry, gate)
    first = user_pipelines_dir() / "a-first.yaml"  # listed before the imported one: the page must pick it
    first.write_text(Path(MOTION).read_text(encoding="utf-8"), encoding="utf-8")
    at = _app(algo=f"{GATE}@1.0.1", script=_router)
    at.button(key="share_open_eval").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == t("app.eval.title", "en")
    assert Path(at.selectbox(key="eval_pipeline").value).name.startswith("haidian-gate-count-1_0_1")
    first.unlink()


def test_publish_from_the_page_and_refuse_an_existing_version(registry):
    at = _app()
    at.selectbox(key="share_pub_pipeline").set_value(MOTION).run()
    assert at.text_input(key=f"share_pub_name::{MOTION}").value == "vehicle_count_line"
    assert at.text_input(key="share_pub_version::vehicle_count_line").value == "1.0.0"
    assert at.button(key="share_publish").disabled  # no descriptions yet
    at.text_area(key="share_pub_en").input("Counts vehicles at the gate")
    at.text_area(key="share_pub_zh").input("闸口车辆计数")
    at.text_input(key="share_pub_title_zh").input("闸口车辆计数")  # a Chinese name beside the ASCII id
    at.text_input(key="share_pub_tags").input("vehicles, 闸口").run()
    at.button(key="share_publish").click().run()
    assert not at.exception, at.exception
    ref = "haidian/vehicle_count_line@1.0.0"
    assert t("app.share.published", "en", ref=ref, files=3, store=registry.describe("en")) in _values(at, "success")
    published = next(e for e in list_versions(registry) if e.ref == ref)
    assert published.trusted and published.release.manifest.tags == ("vehicles", "闸口")
    assert published.release.manifest.title.shown("en", "x") == "闸口车辆计数"  # no English name: the Chinese one
    assert any(r"**闸口车辆计数 (vehicle\_count\_line)**" in m for m in _values(at, "markdown"))
    assert ref in _rows(at)

    at.text_input(key="share_pub_version::vehicle_count_line").input("1.0.0").run()
    at.button(key="share_publish").click().run()
    assert any(r"1\.0\.0" in e and r"vehicle\_count\_line" in e for e in _values(at, "error"))


def test_without_a_key_publishing_offers_to_make_one(tmp_path, monkeypatch):
    share_env(monkeypatch, tmp_path)
    at = _app()
    assert t("app.share.empty", "en") in _values(at, "info")
    assert t("app.share.no_trusted_keys", "en") in _values(at, "caption")
    at.selectbox(key="share_pub_pipeline").set_value(MOTION).run()
    at.text_area(key="share_pub_en").input("Counts vehicles")
    at.text_area(key="share_pub_zh").input("车辆计数").run()
    at.button(key="share_publish").click().run()
    assert any("haidian" in e for e in _values(at, "error"))
    at.button(key="share_pub_genkey").click().run()
    assert not at.exception, at.exception
    assert [k.district for k in trusted_keys()] == ["haidian"]
    assert any(c.value.startswith("-----BEGIN PUBLIC KEY-----") for c in at.code)
    at.button(key="share_publish").click().run()
    assert any("vehicle_count_line@1.0.0" in s for s in _values(at, "success"))
    assert [e.ref for e in list_versions(open_store())] == ["haidian/vehicle_count_line@1.0.0"]


def test_trust_a_pasted_key_and_remove_it(registry):
    pem = public_pem(Ed25519PrivateKey.generate().public_key())
    at = _app()
    at.text_area(key="share_trust_pem").input("not a key")
    at.text_input(key="share_trust_district").input("xicheng")
    at.button(key=f"FormSubmitter:share_trust_form-{t('app.share.trust_add', 'en')}").click().run()
    assert len(_values(at, "error")) == 1 and "xicheng" not in {k.district for k in trusted_keys()}
    at.text_area(key="share_trust_pem").input(pem)
    at.text_input(key="share_trust_district").input("xicheng")
    at.button(key=f"FormSubmitter:share_trust_form-{t('app.share.trust_add', 'en')}").click().run()
    assert not at.exception, at.exception
    added = next(k for k in trusted_keys() if k.district == "xicheng")
    at.button(key=f"share_untrust::xicheng::{added.key_id}").click().run()
    assert "xicheng" not in {k.district for k in trusted_keys()}
    assert load_spec(MOTION).nodes  # the bundled template is untouched by publishing it
