"""The bundled pipelines, run on synthetic clips, report what the ground truth says happened.

Each clip is generated once per session; each pipeline runs once (module-scoped) and several tests read its run folder.
Counts must match exactly; times and durations within TOLERANCE_S seconds.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from workbench.core.registry import default_registry
from workbench.engine.runner import RunOptions, run_pipeline
from workbench.engine.spec import PipelineSpec, load_spec
from workbench.engine.validate import errors_only, validate
from workbench.features.synth import SCENARIOS, generate, get, load_truth
from workbench.features.synth.real import REAL_SCENES
from workbench.media.video_io import is_h264_mp4

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"
BUNDLED = sorted(PIPELINES.glob("*.yaml"))
TOLERANCE_S = 1.0
ROW_FIELDS = ("time", "frame", "node", "type", "track_id", "class_name", "region", "trajectory")
DAYTIME = "2026-11-23T10:00:00"  # inside the muck-truck pipeline's 06:00-22:00 window
NIGHT = "2026-11-23T23:00:00"


def _spec(name: str) -> PipelineSpec:
    return load_spec(PIPELINES / f"{name}.yaml")


def _rule_nodes(spec: PipelineSpec):
    return [n for n in spec.nodes if n.type.startswith("rules/") and n.type != "rules/time_window@v1"]


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    """scenario name -> (clip path, truth), generated on first use."""
    folder = tmp_path_factory.mktemp("clips")
    made: dict[str, tuple[Path, dict]] = {}

    def clip(name: str) -> tuple[Path, dict]:
        if name not in made:
            generated = generate(name, folder, seed=0)
            made[name] = (generated.video, load_truth(generated.truth))
        return made[name]

    return clip


class Run:
    """One pipeline run on its scenario's clip: the run folder, summary, events and the truth."""

    def __init__(self, name: str, clips, out: Path, **source_changes) -> None:
        self.spec = _spec(name)
        scenario = self.spec.meta.model_extra["scenario"]
        clip, self.truth = clips(scenario)
        if source_changes:
            src = next(n.id for n in self.spec.nodes if n.type.startswith("sources/"))
            self.spec = self.spec.with_config(src, **source_changes)
        self.out = out
        self.summary = run_pipeline(self.spec, RunOptions(out_dir=out, source=str(clip)))
        lines = (out / "events.jsonl").read_text(encoding="utf-8").splitlines()
        self.events = [json.loads(line) for line in lines]

    def node_config(self, node_id: str) -> dict:
        return self.spec.node(node_id).config

    def truth_events(self, type_: str, region: str, **where) -> list[dict]:
        return [e for e in self.truth["events"] if e["type"] == type_ and e["region"] == region
                and all(e[k] == v for k, v in where.items())]


@pytest.fixture(scope="module")
def runs(clips, tmp_path_factory):
    """pipeline name -> Run, each pipeline run once on first use."""
    done: dict[str, Run] = {}

    def run(name: str) -> Run:
        if name not in done:
            changes = {"start_time": DAYTIME} if name == "muck_truck_gate" else {}
            done[name] = Run(name, clips, tmp_path_factory.mktemp(name), **changes)
        return done[name]

    return run


def _assert_times_close(got: list[float], expected: list[float]) -> None:
    assert len(got) == len(expected)
    for g, e in zip(sorted(got), sorted(expected), strict=True):
        assert abs(g - e) <= TOLERANCE_S, (sorted(got), sorted(expected))


# -- the pipeline files themselves ---------------------------------------------------------------------------------
@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_pipeline_is_valid_and_documented(path):
    spec = load_spec(path)
    assert errors_only(validate(spec, default_registry())) == []
    assert len(spec.meta.description) > 80 and spec.meta.author
    assert set(spec.layout) == {n.id for n in spec.nodes}
    assert len({tuple(p) for p in spec.layout.values()}) == len(spec.nodes)  # no two nodes on top of each other


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_regions_equal_the_scenario_regions(path):
    spec = load_spec(path)
    scenario_name = (spec.meta.model_extra or {}).get("scenario")
    if scenario_name is None:  # a pipeline for real footage: nothing synthetic to agree with
        assert path.stem == "people_count_hog"
        return
    scenario = SCENARIOS[scenario_name]() if scenario_name in SCENARIOS else REAL_SCENES[scenario_name](0).scenario
    regions = {r.name: r for r in scenario.regions}
    rules = _rule_nodes(spec)
    assert rules
    for node in rules:
        region = regions[node.config["name"]]
        drawn = node.config.get("polygon") or [node.config["start"], node.config["end"]]
        assert [tuple(map(float, p)) for p in drawn] == [tuple(p) for p in region.points], node.id


# -- runs compared with the truth ----------------------------------------------------------------------------------
def _assert_crossings_match(run: Run) -> None:
    """Every crossing of the count line, per direction, at the time the truth says (within TOLERANCE_S)."""
    for direction in ("in", "out"):
        truth = run.truth_events("line_crossing", "count_line", direction=direction)
        got = [e for e in run.events if e["type"] == "line_crossing" and e["direction"] == direction]
        assert len(got) == len(truth) > 0, direction
        _assert_times_close([e["pts"] for e in got], [e["time"] for e in truth])


def test_vehicle_count_line_counts_each_direction_exactly(runs):
    run = runs("vehicle_count_line")
    _assert_crossings_match(run)
    assert {e["region"] for e in run.events} == {"count_line"}


def test_restricted_zone_reports_every_entry_and_exit_with_the_visit_length(runs):
    run = runs("restricted_zone_people")
    for kind in ("zone_enter", "zone_exit"):
        truth = run.truth_events(kind, "restricted")
        got = [e for e in run.events if e["type"] == kind]
        assert len(got) == len(truth) > 0, kind
        _assert_times_close([e["pts"] for e in got], [e["time"] for e in truth])
    entered = {e["track_id"]: e["pts"] for e in run.events if e["type"] == "zone_enter"}
    visits = [e["pts"] - entered[e["track_id"]] for e in run.events if e["type"] == "zone_exit"]
    _assert_times_close(visits, [e["value"] for e in run.truth_events("dwell", "restricted")])
    assert {e["class_name"] for e in run.events} == {"person"}


def test_fire_lane_reports_only_the_long_stops(runs):
    run = runs("fire_lane_parking")
    limit = float(run.node_config("fire_lane")["min_seconds"])
    stops = run.truth_events("stopped", "fire_lane")
    long_stops = [e for e in stops if e["value"] >= limit]
    assert 0 < len(long_stops) < len(stops)  # the clip also has a stop shorter than the limit
    got = [e for e in run.events if e["type"] == "stopped"]
    assert len(got) == len(long_stops)
    # raised once the car has stood still for `limit` seconds
    _assert_times_close([e["pts"] for e in got], [e["time"] + limit for e in long_stops])
    for e in got:
        assert e["value"] == pytest.approx(limit, abs=TOLERANCE_S)


def test_muck_truck_leaving_the_gate_opens_a_work_order_for_the_site(runs):
    run = runs("muck_truck_gate")
    truth = run.truth_events("zone_exit", "site_gate", **{"class": "muck_truck"})
    assert len(truth) < len(run.truth_events("zone_exit", "site_gate"))  # a worker also walks out: not a truck
    got = [e for e in run.events if e["type"] == "zone_exit"]
    assert len(got) == len(truth) > 0
    _assert_times_close([e["pts"] for e in got], [e["time"] for e in truth])
    orders_db = run.out / run.node_config("orders")["database"]
    with sqlite3.connect(orders_db) as conn:
        rows = conn.execute("SELECT id, site, event_type, snapshot FROM work_orders").fetchall()
    assert sorted(r[0] for r in rows) == sorted(e["work_order"] for e in got)
    site = run.node_config("orders")["site"]
    assert all(r[1] == site and r[2] == "zone_exit" and r[3] for r in rows)


def test_muck_truck_at_night_opens_no_work_order(clips, tmp_path):
    first_exit = min(e["time"] for e in load_truth_exits(clips))
    run = Run("muck_truck_gate", clips, tmp_path, start_time=NIGHT, end=first_exit + 2 * TOLERANCE_S)
    assert run.summary["events"]["gate"]["zone_exit"] == 1  # the truck was seen leaving...
    assert run.events == []  # ...but outside the hours the rule applies to
    assert run.summary["outputs"]["orders"]["orders"] == 0


def load_truth_exits(clips) -> list[dict]:
    _, truth = clips("muck_truck")
    return [e for e in truth["events"] if e["type"] == "zone_exit" and e["class"] == "muck_truck"]


# -- what every run folder holds -----------------------------------------------------------------------------------
SYNTHETIC = ["vehicle_count_line", "restricted_zone_people", "fire_lane_parking", "muck_truck_gate"]


@pytest.mark.parametrize("name", SYNTHETIC)
def test_event_rows_have_the_required_fields_and_snapshots(runs, name):
    run = runs(name)
    assert run.events
    for row in run.events:
        for key in ROW_FIELDS:
            assert row.get(key) not in (None, "", []), (key, row)
        assert row["node"] in {n.id for n in _rule_nodes(run.spec)}
        assert (run.out / row["snapshot"]).is_file()
    assert (run.out / "events.csv").read_text(encoding="utf-8-sig").count("\n") == len(run.events) + 1


@pytest.mark.parametrize("name", SYNTHETIC)
def test_annotated_video_and_summary(runs, name):
    run = runs(name)
    assert is_h264_mp4(run.out / "annotated.mp4")
    summary = json.loads((run.out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "done"
    assert summary["frames"] == run.truth["frames"]
    assert summary["stream_fps"] == pytest.approx(run.truth["fps"])
    assert set(summary["per_block_ms"]) == {n.id for n in run.spec.nodes if not n.type.startswith("sources/")}
    assert all(ms >= 0 for ms in summary["per_block_ms"].values())
    raised = sum(n for by_type in summary["events"].values() for n in by_type.values())
    assert raised == summary["event_total"] == len(run.events)


def test_people_count_hog_runs_end_to_end(clips, tmp_path):
    clip, _ = clips("demo")
    summary = run_pipeline(_spec("people_count_hog"), RunOptions(out_dir=tmp_path, source=str(clip), max_frames=20))
    assert summary["status"] == "done" and summary["frames"] == 20
    assert is_h264_mp4(tmp_path / "annotated.mp4")
    assert (tmp_path / "events.jsonl").is_file()
    assert "people" in summary["per_block_ms"]


def test_every_scenario_has_a_pipeline():
    """Real-pixel scenes have their pretrained pipelines (tests/integration/test_pretrained_pipelines.py runs them);
    the drawn demo street, made when opencv-doc is missing, plays with vehicle_count_line."""
    used = {(load_spec(p).meta.model_extra or {}).get("scenario") for p in BUNDLED}
    assert set(SCENARIOS) - {"demo"} | set(REAL_SCENES) == used - {None}  # None: people_count_hog (real footage)
    assert get("demo").regions == get("traffic").regions
