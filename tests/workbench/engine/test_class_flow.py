"""Which classes reach each node: a rule waiting for a class no detector upstream outputs is a warning, not a silent
zero, and the Build page offers only the classes that can arrive."""

from __future__ import annotations

from pathlib import Path

from workbench.core.registry import default_registry
from workbench.engine.class_flow import reaching_classes
from workbench.engine.spec import load_spec, parse_spec
from workbench.engine.validate import validate
from workbench.models import zoo

REG = default_registry()
PIPELINES = Path(__file__).resolve().parents[3] / "pipelines"


def vehicle_line():
    return load_spec(PIPELINES / "vehicle_count_line.yaml")  # motion (class_name vehicle) -> size -> tracker -> line


def test_classes_flow_from_the_detector_through_filters_and_trackers():
    reaching = reaching_classes(vehicle_line(), REG)
    assert reaching["count_line"] == frozenset({"vehicle"}) and reaching["tracker"] == frozenset({"vehicle"})
    assert "src" not in reaching and "motion" not in reaching, "nodes fed no detections are left out"


def test_a_rule_waiting_for_a_class_that_never_arrives_is_warned_about():
    spec = vehicle_line().with_config("count_line", classes=["car", "vehicle"])
    (problem,) = [p for p in validate(spec, REG) if p.code == "class_never_arrives"]
    assert (problem.node, problem.field, problem.severity) == ("count_line", "classes", "warning")
    assert problem.params == {"classes": "car", "available": "vehicle"}
    assert "car" in problem.message("zh") and "vehicle" in problem.message("zh")
    assert not [p for p in validate(vehicle_line(), REG) if p.code == "class_never_arrives"]


def test_a_rule_naming_a_class_in_another_case_is_not_warned_about():
    # issue 14: the rules compare names ignoring case like the class filter, so validation must agree
    spec = vehicle_line().with_config("count_line", classes=["Vehicle", " VEHICLE "])
    assert not [p for p in validate(spec, REG) if p.code == "class_never_arrives"]


def test_a_class_filter_narrows_what_arrives_ignoring_case():
    spec = vehicle_line()
    data = spec.to_dict()
    data["nodes"].insert(3, {"id": "cls", "type": "filters/class@v1", "config": {"include": ["VEHICLE", "bus"]}})
    data["edges"] = [e for e in data["edges"] if e != {"from": "vehicles.detections", "to": "tracker.detections"}]
    data["edges"] += [{"from": "vehicles.detections", "to": "cls.detections"},
                      {"from": "cls.detections", "to": "tracker.detections"}]
    narrowed = parse_spec(data)
    assert reaching_classes(narrowed, REG)["count_line"] == frozenset({"vehicle"})
    (problem,) = [p for p in validate(narrowed, REG) if p.code == "class_never_arrives"]
    assert (problem.node, problem.field, problem.params["classes"]) == ("cls", "include", "bus")


def test_hog_finds_people_only_and_a_yolo_model_its_manifest_classes():
    hog = load_spec(PIPELINES / "people_count_hog.yaml")
    assert reaching_classes(hog, REG)["count_line"] == frozenset({"person"})
    model = zoo.list_models()[0]
    yolo = {"id": "det", "type": "detection/yolo@v1", "config": {"model": model.id}}
    data = vehicle_line().to_dict()
    data["nodes"][1] = yolo
    data["edges"] = [{"from": e["from"].replace("motion.", "det."), "to": e["to"].replace("motion.", "det.")}
                     for e in data["edges"]]
    data["layout"] = {}
    assert reaching_classes(parse_spec(data), REG)["count_line"] == frozenset(model.classes)
