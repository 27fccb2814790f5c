"""Replaying the bundled pipelines on their synthetic clips: every rule scores F1 = 1 and count error 0 within 1 s.

The synthetic generator's ground truth is the test bed: each pipeline names its scenario in `meta.scenario`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from workbench.core.errors import WorkbenchError
from workbench.engine.spec import PipelineSpec, load_spec, parse_spec
from workbench.features.evaluation.replay import default_classes, evaluate_run_folder, replay
from workbench.features.evaluation.truth import load_truth_file
from workbench.features.synth import generate

PIPELINES = Path(__file__).resolve().parents[4] / "pipelines"
SCENARIOS = {p.stem: (load_spec(p).meta.model_extra or {}).get("scenario", "") for p in PIPELINES.glob("*.yaml")}
# drawn scenes; the pipelines on real-pixel scenes (real_*) are scored the same way, on several scenes, in
# tests/integration/test_pretrained_pipelines.py (NanoDet: a minute per clip, not twice)
SYNTHETIC = sorted(name for name, scene in SCENARIOS.items() if scene and not scene.startswith("real_"))
DAYTIME = "2026-11-23T10:00:00"  # inside the muck-truck pipeline's 06:00-22:00 window


def with_meta(spec: PipelineSpec, **extra) -> PipelineSpec:
    return spec.model_copy(update={"meta": spec.meta.model_copy(update=extra)})


def prepared(name: str) -> PipelineSpec:
    """The bundled pipeline; the muck-truck one runs in the daytime (its meta says it reports muck trucks only)."""
    spec = load_spec(PIPELINES / f"{name}.yaml")
    if name == "muck_truck_gate":
        assert spec.meta.model_extra["truth_classes"] == ["muck_truck"]
        spec = spec.with_config("src", start_time=DAYTIME)
    return spec


@pytest.fixture(scope="session")
def clip_of(tmp_path_factory):
    folder, made = tmp_path_factory.mktemp("eval-clips"), {}

    def clip(scenario: str):
        if scenario not in made:
            made[scenario] = generate(scenario, folder, seed=0)
        return made[scenario]

    return clip


@pytest.fixture(scope="module")
def replayed(clip_of, tmp_path_factory):
    """pipeline name -> (spec, report, run folder, generated clip), each replayed once."""
    done = {}

    def run(name: str):
        if name not in done:
            spec = prepared(name)
            clip = clip_of(spec.meta.model_extra["scenario"])
            out = tmp_path_factory.mktemp(name)
            done[name] = (spec, replay(spec, clip.video, clip.truth, tolerance_s=1.0, out_dir=out), out, clip)
        return done[name]

    return run


def test_every_synthetic_scenario_has_a_pipeline_to_replay():
    assert len(SYNTHETIC) >= 4 and "muck_truck_gate" in SYNTHETIC
    real = {name for name, scene in SCENARIOS.items() if scene.startswith("real_")}
    assert {"demo_street_count", "vehicle_count_pretrained", "people_count_pretrained"} <= real


@pytest.mark.parametrize("name", SYNTHETIC)
def test_bundled_pipeline_scores_perfectly_on_its_clip(replayed, name):
    spec, report, _, _ = replayed(name)
    assert report.run["status"] == "done"
    assert report.groups, "no rule was scored"
    assert {g.node for g in report.groups} == {n.id for n in spec.nodes if n.type.startswith("rules/")} - {"hours"}
    for g in report.groups:
        assert g.tp > 0, (g.node, g.type)
        assert (g.f1, g.count_error, g.fp, g.fn) == (1.0, 0, 0, 0), g.to_dict()
        assert all(err == 0 for err in g.count_error_by_direction.values())
        assert 0 <= g.latency.max <= 1.0
    metrics = report.metrics()
    assert metrics["events.total.f1"] == 1.0
    assert all(metrics[f"events.{g.node}.{g.type}.f1"] == 1.0 for g in report.groups)


def test_line_counts_are_scored_per_direction(replayed):
    _, report, _, _ = replayed("vehicle_count_line")
    group = report.group("count_line", "line_crossing")
    assert (group.tp, len(group.truth)) == (14, 14)
    assert report.metrics()["events.count_line.line_crossing.count_error.in"] == 0.0
    assert {m.truth.direction for m in group.matches} == {"in", "out"}


def test_visit_lengths_are_compared_on_zone_exits(replayed):
    _, report, _, _ = replayed("restricted_zone_people")
    exits = report.group("restricted", "zone_exit")
    assert exits.duration_error.n == 2 and exits.duration_error.max_abs <= 1.0


def test_a_finished_run_folder_scores_like_the_replay(replayed):
    spec, report, out, clip = replayed("vehicle_count_line")
    again = evaluate_run_folder(spec, out, clip.truth)
    assert again.metrics() == report.metrics()
    assert again.run["status"] == "done"


def test_truth_half_a_second_later_is_missed_unless_the_tolerance_allows_it(replayed):
    spec, report, out, clip = replayed("vehicle_count_line")
    before = report.group("count_line", "line_crossing").latency
    assert before.max_abs <= 0.25 and before.mean > 0  # each crossing is reported a few frames after it happens
    truth = load_truth_file(clip.truth)
    truth.events = [replace(e, time_s=e.time_s + 0.5) for e in truth.events]
    strict = evaluate_run_folder(spec, out, truth, tolerance_s=0.2).group("count_line", "line_crossing")
    assert (strict.tp, strict.fp, strict.fn, strict.count_error) == (0, 14, 14, 0)
    loose = evaluate_run_folder(spec, out, truth, tolerance_s=1.0).group("count_line", "line_crossing")
    assert loose.f1 == 1.0
    assert loose.latency.mean == pytest.approx(before.mean - 0.5, abs=1e-6)


def test_the_worker_leaving_the_gate_counts_as_missed_without_the_class_filter(replayed):
    spec, report, out, clip = replayed("muck_truck_gate")
    assert default_classes(spec) == ["muck_truck"] and report.classes == ["muck_truck"]
    every_class = evaluate_run_folder(with_meta(spec, truth_classes=[]), out, clip.truth, classes=None)
    gate = every_class.group("gate", "zone_exit")
    assert (gate.tp, gate.fn) == (3, 1)
    assert [e.class_name for e in gate.false_negatives] == ["person"]


def test_report_json_names_the_pipeline_and_clip(replayed):
    _, report, _, clip = replayed("fire_lane_parking")
    data = json.loads(report.to_json())
    assert data["pipeline"] == "fire-lane-parking" and data["clip"] == str(clip.video)
    stop = data["rules"][0]
    assert stop["type"] == "stopped" and stop["count_true"] == 2  # the 3 s stop is shorter than the rule's 6 s


def test_missing_clip_and_bad_tolerance_are_user_errors(clip_of, tmp_path):
    clip = clip_of("traffic")
    with pytest.raises(WorkbenchError) as err:
        replay(PIPELINES / "vehicle_count_line.yaml", tmp_path / "nope.mp4", clip.truth)
    assert err.value.problems[0].code == "eval_clip_missing"
    with pytest.raises(WorkbenchError) as err:
        replay(PIPELINES / "vehicle_count_line.yaml", clip.video, clip.truth, tolerance_s=-1)
    assert err.value.problems[0].code == "eval_bad_tolerance"


def test_a_counting_line_named_otherwise_than_the_truth_is_paired_and_scores_exactly(replayed, clip_of):
    """Staff keep the line's default name "line" while the clip's truth says "count_line": one line rule and one truth
    line belong together, so a correct pipeline scores perfectly instead of 0 correct and all false alarms."""
    spec, _, _, clip = replayed("vehicle_count_line")
    as_built = yaml.safe_load(spec.to_yaml().replace("count_line", "line_crossing"))  # the palette's node id
    renamed = parse_spec(as_built).with_config("line_crossing", name="line")
    report = replay(renamed, clip.video, clip.truth, tolerance_s=1.0)
    assert report.region_map == {"line_crossing": "count_line"} and report.region_map_auto
    assert report.totals.tp == len(load_truth_file(clip.truth).events) and report.totals.fp == 0
    assert "count_line" in report.format_text("en")
    unpaired = replay(renamed, clip.video, clip.truth, tolerance_s=1.0, region_map={})
    assert unpaired.totals.tp == 0
    assert [p.code for p in unpaired.zero_reasons()] == ["eval_zero_regions"], "a 0 always says why"
    assert "count_line" in unpaired.zero_reasons()[0].message("zh")
