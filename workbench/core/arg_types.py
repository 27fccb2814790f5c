"""argparse `type=` functions for numbers with a range, shared by every `workbench` command (issue 14).

A value out of range is refused while the command line is read: argparse prints the usage line and
`argument --max-frames: must be 1 or more (got -1)` (the reason in the user's language) and exits 2, no traceback.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from workbench.core.i18n import t


def _number(text: str, whole: bool) -> float:
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(t("cli.arg_not_int" if whole else "cli.arg_not_number", value=text)) from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(t("cli.arg_not_number", value=text))
    return value


def number_in(low: float, high: float | None = None, *, whole: bool = False, above: bool = False
              ) -> Callable[[str], float]:
    """A `type=` function accepting numbers >= low (> low with `above`) and <= high (when given); `whole`: integers."""

    def parse(text: str) -> float:
        value = _number(text, whole)
        if high is not None and not low <= value <= high:
            raise argparse.ArgumentTypeError(t("cli.arg_between", low=low, high=high, value=text))
        if above and value <= low:
            raise argparse.ArgumentTypeError(t("cli.arg_above", low=low, value=text))
        if value < low:
            raise argparse.ArgumentTypeError(t("cli.arg_at_least", low=low, value=text))
        return value

    parse.__name__ = "whole number" if whole else "number"
    return parse


positive_int = number_in(1, whole=True)  # counts of frames, workers, epochs, a stride
non_negative_int = number_in(0, whole=True)  # retries, seeds, patience (0: none)
positive_float = number_in(0, above=True)  # seconds between frames, a frame rate, an end time
non_negative_float = number_in(0)  # a start time, a tolerance
fraction = number_in(0, 1)  # a share or confidence from 0 to 1
port = number_in(1, 65535, whole=True)  # a TCP port
