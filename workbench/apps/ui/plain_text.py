"""Text from elsewhere shown as written: Streamlit draws st.markdown, st.caption, st.error/warning/info/success and
button labels as Markdown, so free text from another district (a registry description, an imported pipeline's name,
class names, a model's description) or from a pipeline file is escaped first. Drawn as Markdown, an image in such a
text would make every viewer's browser fetch the author's URL, and a link would point anywhere.

`st.text` needs none of this (it draws no Markdown): long texts such as a description or a model card use it.
"""

from __future__ import annotations

import re
from typing import Any

from workbench.core.errors import Problem
from workbench.core.i18n import Phrase, t

MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def as_plain_markdown(text: object) -> str:
    """`text` escaped so Markdown shows it as written: no link, image, HTML, formula or formatting (an escaped '.'
    also keeps a bare address from being turned into a link)."""
    return MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def plain_t(key: str, lang: str | None = None, /, **params: Any) -> str:
    """A message for Markdown: the table's text as written (its own formatting kept), every parameter escaped (a
    `Phrase` is the table's own text, rendered in `lang`, so it stays as it is)."""
    return t(key, lang, **{k: v if isinstance(v, Phrase) else as_plain_markdown(v) for k, v in params.items()})


def plain_problem(problem: Problem, lang: str | None = None, where: bool = True) -> str:
    """A problem for Markdown (`where: sentence`, or the sentence alone), its parameters and place escaped."""
    text = plain_t(f"problem.{problem.code}", lang, **problem.params)
    return f"{as_plain_markdown(problem.where())}: {text}" if where and problem.where() else text
