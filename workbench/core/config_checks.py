"""Checks shared by block and job settings: two numbers that must stay in order (a minimum and a maximum)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationInfo, field_validator


def not_below(name: str, other: str, unit: str = "") -> Any:
    """A validator for the setting `name`: it may not be smaller than `other` (declared before it in the config).

    Use in a config class body: `_max_after_min = not_below("max_s", "initial_s", unit="s")`.
    """
    return _ordered(name, other, unit, smaller_allowed=False)


def not_above(name: str, other: str, unit: str = "") -> Any:
    """A validator for the setting `name`: it may not be larger than `other` (declared before it in the config)."""
    return _ordered(name, other, unit, smaller_allowed=True)


def _ordered(name: str, other: str, unit: str, smaller_allowed: bool) -> Any:
    suffix = f" {unit}" if unit else ""

    def check(cls: type, value: float, info: ValidationInfo) -> float:
        bound = info.data.get(other)  # missing when `other` itself was invalid: that error is reported instead
        if bound is None:
            return value
        if smaller_allowed and value > bound:
            raise ValueError(f"{name} ({value}{suffix}) must not be above {other} ({bound}{suffix})")
        if not smaller_allowed and value < bound:
            raise ValueError(f"{name} ({value}{suffix}) must not be below {other} ({bound}{suffix})")
        return value

    return field_validator(name)(check)
