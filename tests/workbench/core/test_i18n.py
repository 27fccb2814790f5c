"""One translation table: every key has English and Chinese, and every problem code used in the code exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

from workbench.core.i18n import _table, t

ROOT = Path(__file__).parents[3]
CODE_USE = re.compile(r"""(?:BlockError|Problem|StoreError|_problem|_error)\(\s*["']([a-z_]+)["']""")
KEY_USE = re.compile(r"""\b(?:t|tr)\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""")  # literal keys: t("app.x.y", ...)


def test_every_key_has_both_languages_with_the_same_fields():
    for key, texts in _table().items():
        assert set(texts) == {"en", "zh"}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(texts[lang]) if f} for lang in ("en", "zh")]
        assert fields[0] == fields[1], f"{key}: placeholders differ between languages"


def test_every_problem_code_in_the_code_has_a_message():
    used = set()
    for path in [*ROOT.glob("workbench/**/*.py"), *ROOT.glob("blocks/**/*.py")]:
        used |= set(CODE_USE.findall(path.read_text(encoding="utf-8")))
    assert used, "no problem codes found: the pattern is wrong"
    missing = sorted(code for code in used if f"problem.{code}" not in _table())
    assert not missing, f"problem codes without a translation: {missing}"


def test_every_literal_key_in_the_code_has_a_message():
    used = set()
    for path in [ROOT / "app.py", *ROOT.glob("workbench/**/*.py"), *ROOT.glob("blocks/**/*.py")]:
        used |= set(KEY_USE.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 100, "no keys found: the pattern is wrong"
    missing = sorted(key for key in used if key not in _table())
    assert not missing, f"keys used in the code without a translation: {missing}"


def test_language_selection(monkeypatch):
    monkeypatch.setenv("WORKBENCH_LANG", "zh")
    assert t("problem.no_source").startswith("流水线")
    monkeypatch.setenv("WORKBENCH_LANG", "en")
    assert t("problem.no_source").startswith("the pipeline")
    assert t("problem.no_source", "zh").startswith("流水线")


def test_every_setting_of_every_block_is_described_in_both_languages():
    """Staff read a setting's help in Chinese: the schema's English description is only the fallback."""
    from workbench.core.registry import default_registry

    missing = [f"{b.name()}.{name}" for b in default_registry().blocks.values() for name in b.Config.model_fields
               if f"fielddesc.{b.name()}.{name}" not in _table() and f"fielddesc.{name}" not in _table()]
    assert not missing, f"settings without a translated description: {missing}"
