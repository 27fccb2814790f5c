"""Class names compare the same way everywhere: ignoring case and surrounding spaces ("Car " and "car" are one class).

The class filter, the rules, the detector's class choice and validation's `class_never_arrives` warning all use
`class_key`, so a setting that keeps a class in one place never silently misses it in another.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def class_key(name: object) -> str:
    """The form a class name is compared in: trimmed, case folded."""
    return str(name).strip().casefold()


def class_keys(names: Iterable[object]) -> frozenset[str]:
    return frozenset(class_key(n) for n in names)


def same_class(a: object, b: object) -> bool:
    return class_key(a) == class_key(b)


def class_mask(names: Iterable[object], wanted: Iterable[object]) -> np.ndarray:
    """Boolean array: which of `names` is one of the `wanted` classes."""
    keys = class_keys(wanted)
    return np.array([class_key(n) in keys for n in names], dtype=bool)
