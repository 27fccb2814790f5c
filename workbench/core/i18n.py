"""One translation table for every user-facing sentence (English and Simplified Chinese).

The table lives in `messages.yaml` beside this file: `key: {en: ..., zh: ...}` with `str.format` fields.
Plugins add their own keys with `add_messages()`. The language comes from `WORKBENCH_LANG` (en|zh), else from `LANG`.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("en", "zh")
_extra: dict[str, dict[str, str]] = {}


@cache
def _table() -> dict[str, dict[str, str]]:
    with open(Path(__file__).with_name("messages.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def current_language() -> str:
    """`WORKBENCH_LANG` if set to a known language, else Chinese when the locale is Chinese, else English."""
    lang = os.environ.get("WORKBENCH_LANG", "").lower()
    if lang in LANGUAGES:
        return lang
    return "zh" if os.environ.get("LANG", "").lower().startswith("zh") else "en"


def add_messages(messages: dict[str, dict[str, str]]) -> None:
    """Let a plugin add its own keys; it may not replace the core's."""
    for key, texts in messages.items():
        if key not in _table():
            _extra[key] = texts


def has(key: str) -> bool:
    return key in _table() or key in _extra


def t(key: str, lang: str | None = None, /, **params: Any) -> str:
    """The sentence for `key` in `lang` (default: current language), falling back to English, then to the key.

    `key` and `lang` are positional-only, so a message may have fields named `key` or `lang` (a registry key...)."""
    texts = _table().get(key) or _extra.get(key)
    if texts is None:
        return key if not params else f"{key} {params}"
    text = texts.get(lang or current_language()) or texts.get("en", key)
    params = {name: value.render(lang) if isinstance(value, Phrase) else value for name, value in params.items()}
    return text.format(**params) if params else text


class Phrase(str):
    """A message parameter that is itself translated (a role, a permission): rendered in the language of the message
    it goes into; as a plain string (JSON, logs) it is the English text. Several keys are listed."""

    keys: tuple[str, ...]

    def __new__(cls, *keys: str) -> Phrase:
        phrase = super().__new__(cls, ", ".join(t(k, "en") for k in keys))
        phrase.keys = keys
        return phrase

    def render(self, lang: str | None = None) -> str:
        lang = lang or current_language()
        return ("、" if lang == "zh" else ", ").join(t(k, lang) for k in self.keys)
