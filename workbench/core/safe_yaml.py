"""YAML from users and other districts, read without surprises: a size cap, no anchors or aliases, a depth cap.

`yaml.safe_load` keeps an alias as a second reference to the same object, but everything that walks the data
afterwards (a pipeline's `to_dict()`/`to_yaml()`, pydantic, JSON) expands it: nine aliases per level make a
394-byte file into gigabytes (measured: `workbench validate` took 59 s and 1.9 GB). Every place that reads YAML a
person or a registry supplies (pipelines, cameras files, policy, data.yaml, a value typed in a form) reads it
through `load_yaml_text`, which refuses such text before any data is built; every refusal is a Problem naming the
origin, line and column and how to fix it. The workbench's own writers (`dump_yaml`) never write anchors.
"""

from __future__ import annotations

from typing import Any

import yaml

from workbench.core.errors import Problem, WorkbenchError

MAX_YAML_BYTES = 1_000_000  # far above any hand-made file (a 200-node pipeline is ~200 KB); ~3 s to parse
MAX_YAML_DEPTH = 64  # nesting levels; a pipeline needs about 7 (nodes > node > config > polygon > point)


class YamlRefused(WorkbenchError):
    """YAML text refused before it became data: too big, anchors or aliases, nested too deep (problem codes
    yaml_too_big, yaml_alias, yaml_too_deep) or not YAML at all (YamlSyntaxError)."""


class YamlSyntaxError(YamlRefused):
    """The text is not valid YAML; `line`, `column` (1-based, or "?") and `detail` let a caller use its own code."""

    def __init__(self, origin: str, line: int | str, column: int | str, detail: str):
        self.origin, self.line, self.column, self.detail = origin, line, column, detail
        super().__init__([Problem("yaml_invalid", params={"path": origin, "line": line, "column": column,
                                                          "detail": detail})])


class _Refusal(Exception):
    """Raised inside the loader; turned into YamlRefused (with the origin) by load_yaml_text."""

    def __init__(self, code: str, mark: Any, /, **params: Any):
        super().__init__(code)
        self.code, self.params = code, params
        self.line = mark.line + 1 if mark is not None else "?"
        self.column = mark.column + 1 if mark is not None else "?"


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader (pure Python) that refuses anchors (&name), aliases (*name) and deep nesting while
    composing, i.e. before a single value is constructed."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refusal("yaml_alias", event.start_mark, name=f"*{event.anchor}")
        if getattr(event, "anchor", None) is not None:
            raise _Refusal("yaml_alias", event.start_mark, name=f"&{event.anchor}")
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _Refusal("yaml_too_deep", event.start_mark, limit=MAX_YAML_DEPTH)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml_text(text: str, origin: str = "YAML", max_bytes: int = MAX_YAML_BYTES) -> Any:
    """The data of one YAML document, like `yaml.safe_load`, or YamlRefused (a WorkbenchError) naming `origin` (a
    file path or what the text is), line and column: text over `max_bytes` (UTF-8), anchors/aliases, more than
    MAX_YAML_DEPTH levels, several documents, or invalid YAML (YamlSyntaxError)."""
    size = len(text.encode("utf-8", errors="replace")) if len(text) * 4 > max_bytes else len(text)
    if size > max_bytes:
        raise YamlRefused([Problem("yaml_too_big", params={"path": origin, "size": size, "limit": max_bytes})])
    loader = _StrictLoader(text)
    try:
        return loader.get_single_data()
    except _Refusal as exc:
        raise YamlRefused([Problem(exc.code, params={"path": origin, "line": exc.line, "column": exc.column,
                                                     **exc.params})]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else ("?", "?")
        detail = ": ".join(p for p in (exc.context, exc.problem) if p) or type(exc).__name__
        raise YamlSyntaxError(origin, line, column, detail) from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:  # e.g. an integer of more than 4300 digits
        raise YamlSyntaxError(origin, "?", "?", str(exc).splitlines()[0] if str(exc) else type(exc).__name__) \
            from None
    finally:
        loader.dispose()


class _NoAliasDumper(yaml.SafeDumper):
    """SafeDumper that writes a value seen twice out twice instead of as &id001 / *id001 (which we refuse)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(data: Any, **kwargs: Any) -> str:
    """`yaml.safe_dump` without anchors or aliases, so whatever the workbench writes it can read back."""
    return yaml.dump(data, Dumper=_NoAliasDumper, **kwargs)
