"""One translation table: every key has English and Chinese, and every problem code used in the code exists."""

from __future__ import annotations

import ast
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


# --- every problem message renders with the parameters the code gives it -------------------------------------------
BUILDERS = {"Problem", "BlockError", "StoreError", "_problem", "_error", "_fail", "_Refusal", "t", "tr", "plain_t"}
NOT_PARAMS = {"node", "field", "severity"}  # Problem / BlockError / StoreError / helpers' own arguments
# parameters a helper adds itself: truth._problem(code, path), safe_yaml's refusal gets the place where it is raised
ADDED_PARAMS = {("truth.py", "_problem"): ("path",), ("safe_yaml.py", "_Refusal"): ("path", "line", "column")}


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _named_arguments(tree: ast.Module) -> dict[str, list[str | None]]:
    """Builder name -> its positional arguments in order, None for a positional-only one (`self` left out)."""

    def positional(args: ast.arguments) -> list[str | None]:
        return [None] * len(args.posonlyargs) + [a.arg for a in args.args]

    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
            if init is not None:
                found[node.name] = positional(init.args)[1:]
        elif isinstance(node, ast.FunctionDef) and node.name in BUILDERS:
            found.setdefault(node.name, positional(node.args))
    return found


def _raised_problems() -> list[tuple[str, str, frozenset[str]]]:
    """(where, code, parameter names) of every problem built with a literal code whose parameters are all spelled
    out: Problem(code, params={...}), BlockError/StoreError/_problem/...(code, name=value, ...), t("problem.x", ...).
    A parameter named like an argument the call already gave by position (`_fail("x", code=3)`) is a TypeError
    when raised: its name is given as `!name`."""
    files = [*ROOT.glob("workbench/**/*.py"), *ROOT.glob("blocks/**/*.py")]
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in files}
    shared = {name: args for path in (ROOT / "workbench/core/errors.py", ROOT / "workbench/features/sharing/store.py")
              for name, args in _named_arguments(trees[path]).items()}
    found = []
    for path, tree in trees.items():
        arguments = {**shared, **_named_arguments(tree)}
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            func = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            if func not in BUILDERS:
                continue
            keywords = {k.arg: k.value for k in call.keywords}
            code = _literal(call.args[0]) if call.args else _literal(keywords.get("code"))
            if func in ("t", "tr", "plain_t") and code and code.startswith("problem."):
                code = code.removeprefix("problem.")
            if not code or f"problem.{code}" not in _table() or None in keywords:  # None: a **spread
                continue
            if func == "Problem":
                given = keywords.get("params")
                if given is None:
                    names = set()
                elif isinstance(given, ast.Dict) and all(_literal(k) for k in given.keys):
                    names = {_literal(k) for k in given.keys}
                else:
                    continue  # built elsewhere
            else:
                names = set(keywords) - (set(arguments[func]) if func in arguments else NOT_PARAMS)
                names |= {f"!{k}" for k in set(keywords) & set(arguments.get(func, [])[:len(call.args)])}
                names |= set(ADDED_PARAMS.get((path.name, func), ()))
            found.append((f"{path.relative_to(ROOT)}:{call.lineno}", code, frozenset(names)))
    return found


def _render(code: str, names: frozenset[str] | set[str], lang: str) -> str:
    from workbench.core.errors import Problem

    return Problem(code, params={name: f"<{name}>" for name in names}).message(lang)


LEFTOVER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def test_every_problem_raised_in_the_code_renders_in_both_languages_with_its_parameters():
    raised = _raised_problems()
    assert len({code for _, code, _ in raised}) > 200, "few problem sites found: the scan is wrong"
    assert {"registry_release_mismatch", "registry_access_denied"} <= {code for _, code, _ in raised}
    failures = [f"{where} {code}: also given by position: {name[1:]}" for where, code, names in raised
                for name in names if name.startswith("!")]
    for where, code, names in raised:
        for lang in ("en", "zh"):
            try:
                text = _render(code, names, lang)
            except (KeyError, IndexError, TypeError, ValueError) as exc:
                failures.append(f"{where} {code} [{lang}]: {type(exc).__name__}: {exc}")
                continue
            if LEFTOVER.search(text) or text.startswith("problem."):
                failures.append(f"{where} {code} [{lang}]: left over: {text}")
    assert not failures, "\n".join(failures)


def test_every_problem_message_renders_with_its_own_fields_even_key_and_lang():
    """A message field may be named like t()'s own arguments (`key`, `lang`): registry_release_mismatch has {key}."""
    for key, texts in _table().items():
        if not key.startswith("problem."):
            continue
        names = {f for _, f, _, _ in string.Formatter().parse(texts["en"]) if f}
        for lang in ("en", "zh"):
            text = _render(key.removeprefix("problem."), names, lang)
            assert not LEFTOVER.search(text), f"{key} [{lang}]: {text}"
    assert t("problem.registry_release_mismatch", "zh", key="k/release.json", found="a/b/1", lang="x").startswith(
        "k/release.json")
