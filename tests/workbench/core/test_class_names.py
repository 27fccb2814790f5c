"""One way to compare class names (issue 14): case and surrounding spaces ignored, in filters, rules and validation."""

from __future__ import annotations

from workbench.core.class_names import class_key, class_keys, class_mask, same_class


def test_case_and_surrounding_spaces_are_ignored():
    assert class_key(" Car ") == class_key("car") == "car"
    assert same_class("Muck_Truck", "muck_truck") and not same_class("car", "cart")
    assert class_keys(["Car", "car ", "BUS"]) == {"car", "bus"}


def test_mask_marks_the_wanted_names():
    assert class_mask(["Car", "person", " CAR"], ["car"]).tolist() == [True, False, True]
    assert class_mask([], ["car"]).tolist() == []
