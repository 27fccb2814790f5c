"""Errors a user can cause. Each names the pipeline node and field and says how to fix it (text from
workbench.core.i18n)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from workbench.core.i18n import t


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pipeline: where (node, field), what (a translation key + its parameters)."""

    code: str
    node: str | None = None
    field: str | None = None
    params: dict[str, Any] = dc_field(default_factory=dict)
    severity: str = "error"  # "error" stops a run; "warning" is shown but does not

    def message(self, lang: str | None = None) -> str:
        """The user-facing sentence, including how to fix it."""
        return t(f"problem.{self.code}", lang, **self.params)

    def where(self) -> str:
        """`node.field`, `node`, or `pipeline` when the problem belongs to the whole graph."""
        if self.node and self.field:
            return f"{self.node}.{self.field}"
        return self.node or self.field or "pipeline"

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "node": self.node,
            "field": self.field,
            "message": self.message(lang),
        }


class WorkbenchError(Exception):
    """Base of every error caused by user input; the CLI prints it without a traceback."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(f"{p.where()}: {p.message()}" for p in problems))


class PipelineInvalid(WorkbenchError):
    """The pipeline spec has one or more validation errors."""


class BlockError(WorkbenchError):
    """A block could not do its work because of a setting or an input (missing file, unwritable folder...)."""

    def __init__(self, code: str, /, node: str | None, field: str | None = None, **params: Any):
        super().__init__([Problem(code=code, node=node, field=field, params=params)])

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> BlockError:
        """One error carrying several problems of the same block (each still names its node and field)."""
        err = cls.__new__(cls)
        WorkbenchError.__init__(err, problems)
        return err
