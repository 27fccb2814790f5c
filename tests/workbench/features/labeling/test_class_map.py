"""The teacher's classes -> the project's: `--map` and `--class-conf` are read and checked, and problems name the
option and the classes in English and Chinese."""

from __future__ import annotations

import pytest

from workbench.core.errors import WorkbenchError
from workbench.features.labeling.boxes import Box
from workbench.features.labeling.class_map import ClassMap, parse_pairs

COCO = ["person", "bicycle", "car", "bus", "truck", "traffic light"]
PROJECT = ["muck_truck", "car"]


def _problem(call):
    with pytest.raises(WorkbenchError) as err:
        call()
    (problem,) = err.value.problems
    return problem


def test_pairs_are_read_in_order_from_one_or_several_options():
    assert parse_pairs("truck=muck_truck, car = car,bus=ignore") == {"truck": "muck_truck", "car": "car",
                                                                      "bus": "ignore"}
    assert parse_pairs(["truck=muck_truck", "traffic light=ignore"]) == {"truck": "muck_truck",
                                                                         "traffic light": "ignore"}
    assert parse_pairs(["truck=0.5", "Truck=0.50"], "--class-conf", number=True) == {"truck": "0.5"}
    assert parse_pairs("") == {}


@pytest.mark.parametrize(("text", "option", "number", "code", "named"), [
    ("truck", "--map", False, "teacher_pair_malformed", "truck"),
    ("truck=,car=car", "--map", False, "teacher_pair_malformed", "truck="),
    ("truck=muck_truck,TRUCK=car", "--map", False, "teacher_map_twice", "TRUCK"),
    ("truck=high", "--class-conf", True, "teacher_conf_not_fraction", "truck=high"),
    ("truck=1.5", "--class-conf", True, "teacher_conf_not_fraction", "truck=1.5"),
])
def test_malformed_pairs_are_named_problems(text, option, number, code, named):
    problem = _problem(lambda: parse_pairs(text, option, number=number))
    assert (problem.code, problem.field) == (code, option)
    for lang in ("en", "zh"):
        assert named in problem.message(lang) and option in problem.message(lang)


def test_without_a_mapping_the_classes_of_the_same_name_count():
    mapping = ClassMap.build(None, COCO, ["Car", "person"], "nanodet-m-416")
    assert mapping.targets == {"person": "person", "car": "Car"} and not mapping.explicit
    kept, outside = mapping.apply([Box("car", 1, 2, 30, 40, 0.9), Box("truck", 0, 0, 9, 9, 0.8)])
    assert kept == [Box("Car", 1, 2, 30, 40, 0.9)] and outside == ["truck"]


def test_a_mapping_renames_merges_and_ignores_on_purpose():
    mapping = ClassMap.build(parse_pairs("Truck=muck_truck,bus=MUCK_TRUCK,car=car,traffic light=ignore"), COCO,
                             PROJECT, "nanodet-m-416")
    assert mapping.to_dict() == {"truck": "muck_truck", "bus": "muck_truck", "car": "car", "traffic light": None}
    assert mapping.sources("muck_truck") == ["truck", "bus"]
    found = [Box("truck", 0, 0, 50, 40, 0.7), Box("bus", 60, 0, 99, 40, 0.6), Box("traffic light", 5, 5, 8, 9, 0.9),
             Box("person", 1, 1, 4, 9, 0.8)]
    kept, outside = mapping.apply(found)
    assert [b.cls for b in kept] == ["muck_truck", "muck_truck"] and kept[0].score == 0.7
    assert outside == ["person"]  # the ignored class is dropped without being reported


def test_an_unknown_teacher_class_lists_what_the_teacher_detects():
    problem = _problem(lambda: ClassMap.build({"lorry": "muck_truck"}, COCO, PROJECT, "nanodet-m-416"))
    assert (problem.code, problem.field, problem.node) == ("teacher_unknown_class", "--map", "labelstudio")
    for lang in ("en", "zh"):
        text = problem.message(lang)
        assert "lorry" in text and "nanodet-m-416" in text and "traffic light" in text


def test_an_unknown_project_class_lists_the_projects_classes():
    problem = _problem(lambda: ClassMap.build({"truck": "muck-truck", "car": "car"}, COCO, PROJECT, "m", "map"))
    assert (problem.code, problem.field) == ("teacher_map_unknown_project_class", "map")
    for lang in ("en", "zh"):
        text = problem.message(lang)
        assert "muck-truck" in text and "muck_truck, car" in text and "ignore" in text


def test_a_mapping_that_keeps_nothing_is_refused():
    problem = _problem(lambda: ClassMap.build({"truck": "ignore", "bus": "-"}, COCO, PROJECT, "nanodet-m-416"))
    assert problem.code == "teacher_map_empty" and "nanodet-m-416" in problem.message("zh")
