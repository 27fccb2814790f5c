"""The shared argparse `type=` functions for numeric options (issue 14)."""

from __future__ import annotations

import argparse

import pytest

from workbench.core import arg_types


@pytest.mark.parametrize(("kind", "text"), [
    (arg_types.positive_int, "0"), (arg_types.positive_int, "-1"), (arg_types.positive_int, "1.5"),
    (arg_types.non_negative_int, "-1"), (arg_types.positive_float, "0"), (arg_types.positive_float, "inf"),
    (arg_types.non_negative_float, "-0.1"), (arg_types.non_negative_float, "nan"), (arg_types.fraction, "1.01"),
    (arg_types.port, "0"), (arg_types.port, "65536")])
def test_out_of_range_is_refused_with_the_value(kind, text):
    with pytest.raises(argparse.ArgumentTypeError, match=f"got {text}"):
        kind(text)


def test_in_range_values_come_back_as_numbers():
    assert arg_types.positive_int("3") == 3 and arg_types.non_negative_int("0") == 0
    assert arg_types.positive_float("0.5") == 0.5 and arg_types.non_negative_float("0") == 0.0
    assert arg_types.fraction("1") == 1.0 and arg_types.port("8080") == 8080
    assert arg_types.number_in(-1, 256, whole=True)("-1") == -1


def test_reason_in_the_users_language(monkeypatch):
    monkeypatch.setenv("WORKBENCH_LANG", "zh")
    with pytest.raises(argparse.ArgumentTypeError, match="必须大于或等于 1"):
        arg_types.positive_int("-1")
