"""Cells for CSV files people open in spreadsheets: text that a spreadsheet would run as a formula (=, +, -, @, tab,
carriage return at the start) is written with a leading apostrophe, so a camera or user name cannot become code."""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value`, or text quoted with ' when a spreadsheet would read it as a formula."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) else value
