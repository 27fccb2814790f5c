"""Which of a teacher model's classes become which of the project's classes (`--map truck=muck_truck,car=car`).

Without a mapping a teacher class counts when the project has a class of the same name (as pre-labels always did).
With one, only the teacher classes it names count: `TEACHER=PROJECT` renames, `TEACHER=ignore` drops on purpose
(the teacher's boxes of that class are then not reported as "outside the project"), and several teacher classes may
feed one project class (`truck=vehicle,bus=vehicle`). Names compare like everywhere (`class_key`: case and
surrounding spaces ignored); boxes get the project's spelling. Problems name the option or form field (`option`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from workbench.core.class_names import class_key
from workbench.core.errors import Problem, WorkbenchError
from workbench.features.labeling.boxes import Box

IGNORE = "ignore"  # the project class that drops a teacher class
_IGNORE_WORDS = {IGNORE, "-"}


def _error(code: str, /, **params: object) -> WorkbenchError:
    """A problem naming the option (or form field) `params["option"]`."""
    return WorkbenchError([Problem(code, node="labelstudio", field=str(params["option"]), params=params)])


def parse_pairs(text: str | Iterable[str], option: str = "--map", number: bool = False) -> dict[str, str]:
    """`a=b,c=d` (or several such texts) as {a: b, c: d}, in order; `number` checks each value is 0..1.

    A malformed entry, a name given twice with different values, or (with `number`) a value that is no fraction is
    a problem naming `option`.
    """
    texts = [text] if isinstance(text, str) else list(text)
    pairs: dict[str, str] = {}
    first: dict[str, str] = {}  # class_key -> the name as first written
    for entry in (e.strip() for t in texts for e in t.split(",")):
        if not entry:
            continue
        key, sep, value = (part.strip() for part in entry.partition("="))
        if not sep or not key or not value:
            raise _error("teacher_pair_malformed", option=option, entry=entry)
        if number and not _fraction(value):
            raise _error("teacher_conf_not_fraction", option=option, entry=entry)
        name = first.setdefault(class_key(key), key)
        same = (float(pairs[name]) == float(value)) if number and name in pairs else (
            name in pairs and class_key(pairs[name]) == class_key(value))
        if name in pairs and not same:
            raise _error("teacher_map_twice", option=option, name=key, targets=f"{pairs[name]}, {value}")
        pairs.setdefault(name, value)
    return pairs


def _fraction(text: str) -> bool:
    try:
        return 0.0 <= float(text) <= 1.0
    except ValueError:
        return False


def check_teacher_classes(names: Iterable[str], known: Sequence[str], model: str, option: str) -> dict[str, str]:
    """{asked name: the teacher's spelling}; a name the teacher does not detect is a problem listing its classes."""
    spelling = {class_key(k): k for k in known}
    unknown = [n for n in names if class_key(n) not in spelling]
    if unknown:
        raise _error("teacher_unknown_class", option=option, model=model, classes=", ".join(unknown),
                     known=", ".join(known))
    return {n: spelling[class_key(n)] for n in names}


@dataclass(frozen=True)
class ClassMap:
    """Teacher class (its spelling) -> project class, None = ignored on purpose; `explicit`: given by the user."""

    targets: dict[str, str | None]
    explicit: bool

    @classmethod
    def build(cls, mapping: Mapping[str, str] | None, teacher: Sequence[str], project: Sequence[str], model: str,
              option: str = "--map") -> ClassMap:
        """The mapping checked against the teacher's and the project's classes; None: same names."""
        project_of = {class_key(p): p for p in project}
        if not mapping:
            return cls({t: project_of[class_key(t)] for t in teacher if class_key(t) in project_of}, False)
        spelled = check_teacher_classes(list(mapping), teacher, model, option)
        unknown = [v for v in mapping.values() if class_key(v) not in project_of and class_key(v) not in _IGNORE_WORDS]
        if unknown:
            raise _error("teacher_map_unknown_project_class", option=option, classes=", ".join(dict.fromkeys(unknown)),
                         known=", ".join(project))
        targets = {spelled[t]: (None if class_key(p) in _IGNORE_WORDS else project_of[class_key(p)])
                   for t, p in mapping.items()}
        if not any(targets.values()):
            raise _error("teacher_map_empty", option=option, model=model, known=", ".join(project))
        return cls(targets, True)

    def to_dict(self) -> dict[str, str | None]:
        """For records (dataset provenance): teacher class -> project class, None = ignored."""
        return dict(self.targets)

    def sources(self, project_class: str) -> list[str]:
        """The teacher classes that become `project_class`."""
        return [t for t, p in self.targets.items() if p == project_class]

    def apply(self, boxes: Iterable[Box]) -> tuple[list[Box], list[str]]:
        """(boxes renamed to project classes, teacher class of each box that fits no project class). Ignored classes
        are in neither."""
        kept, outside = [], []
        for b in boxes:
            if b.cls not in self.targets:
                outside.append(b.cls)
            elif (target := self.targets[b.cls]) is not None:
                kept.append(Box(target, b.x1, b.y1, b.x2, b.y2, b.score))
        return kept, outside
