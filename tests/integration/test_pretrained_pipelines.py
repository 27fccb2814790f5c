"""The bundled pipelines on the pretrained detector (NanoDet), with their defaults, on real-pixel clips (`workbench
synth real_*`: real vehicles and walkers over a real street) report exactly what the truth says, scored by the
evaluation staff use (`workbench eval events`): every line, every direction. The people pipeline's detector finds the
people of real footage (vtest.avi).

Each clip is generated once per session and each pipeline runs once per clip. Slow: NanoDet runs at ~9 frames/s on
two cores, and a clip is 19-34 s long.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import cv2
import pytest

from blocks.detection.onnx_detector import OnnxDetector, OnnxDetectorConfig
from workbench.core.frames import Frame, read_only
from workbench.engine.runner import RunOptions, run_pipeline
from workbench.engine.spec import PipelineSpec, load_spec
from workbench.features.evaluation.replay import (
    default_classes,
    evaluate_predictions,
    evaluate_run_folder,
    run_and_collect,
)
from workbench.features.evaluation.truth import load_truth_file
from workbench.features.synth import demo, generate, load_truth

pytestmark = pytest.mark.slow

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"
# One seed per pipeline here (CI time: a clip costs 1-2 min on two cores); seed 0 of real_traffic is the demo's
# (test_the_demo_...). Seeds 0-2 of each were measured with `workbench eval events` (README, bundled pipelines).
VEHICLE_SEEDS = (1,)
PEOPLE_SEEDS = (2,)
DAYTIME = "2026-11-23T10:00:00"  # inside the muck-truck pipeline's 06:00-22:00 window
EVERY = 20  # vtest.avi frames looked at: every 20th of 795
NEAR_CLOSING = "2026-11-23T21:59:50"  # the window closes 10 s into the clip


@pytest.fixture(scope="session")
def real_clips(vtest_video, tmp_path_factory):
    """(scene, seed) -> (clip, truth file), rendered on first use (needs opencv-doc: the vtest_video fixture)."""
    folder = tmp_path_factory.mktemp("real-clips")
    made: dict[tuple[str, int], tuple[Path, Path]] = {}

    def clip(scene: str, seed: int) -> tuple[Path, Path]:
        if (scene, seed) not in made:
            generated = generate(scene, folder, seed=seed)
            made[scene, seed] = (generated.video, generated.truth)
        return made[scene, seed]

    return clip


def _spec(name: str, **source_changes) -> PipelineSpec:
    spec = load_spec(PIPELINES / f"{name}.yaml")
    return spec.with_config("src", **source_changes) if source_changes else spec


def _run(spec: PipelineSpec, clip: Path, out: Path) -> tuple[dict, list[dict]]:
    """The run's summary and its events.jsonl rows."""
    summary = run_pipeline(spec, RunOptions(out_dir=out, source=str(clip)))
    rows = [json.loads(line) for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    return summary, rows


def _assert_exact(spec: PipelineSpec, out: Path, truth: Path, rules: set[str]) -> None:
    """Every rule's events (as events.jsonl holds them) match the truth within 1 s."""
    _assert_report_exact(evaluate_run_folder(spec, out, truth).to_dict(details=False), rules)


def _assert_report_exact(report: dict, rules: set[str]) -> None:
    """F1 1.0 and count error 0 in every direction, for each of `rules`."""
    assert {r["node"] for r in report["rules"]} == rules
    for rule in report["rules"]:
        assert rule["count_true"] > 0, rule
        assert (rule["f1"], rule["count_error"]) == (1.0, 0), rule
        assert all(err == 0 for err in rule["count_error_by_direction"].values()), rule


def _assert_snapshots(out: Path, rows: list[dict]) -> None:
    for row in rows:
        assert row["snapshot"] and (out / row["snapshot"]).is_file(), row


@pytest.mark.parametrize("seed", VEHICLE_SEEDS)
def test_vehicle_count_pretrained_counts_every_line_and_direction_exactly(real_clips, tmp_path, seed):
    clip, truth = real_clips("real_traffic", seed)
    spec = _spec("vehicle_count_pretrained")
    summary, rows = _run(spec, clip, tmp_path)
    _assert_exact(spec, tmp_path, truth, {"count_line", "side_line"})
    # the car waiting on the line, the one backing away and the parked vehicles add nothing; the walker on the
    # side road (a person crossing side_line in the truth) is not a vehicle
    assert {r["class_name"] for r in rows} <= {"car", "truck", "bus", "motorcycle"}
    assert summary["status"] == "done" and summary["event_total"] == len(rows)
    _assert_snapshots(tmp_path, rows)


@pytest.mark.parametrize("seed", PEOPLE_SEEDS)
def test_people_count_pretrained_counts_each_direction_exactly(real_clips, tmp_path, seed):
    clip, truth = real_clips("real_people", seed)
    spec = _spec("people_count_pretrained")
    _, rows = _run(spec, clip, tmp_path)
    _assert_exact(spec, tmp_path, truth, {"count_line"})
    assert {r["class_name"] for r in rows} == {"person"}
    _assert_snapshots(tmp_path, rows)


def test_people_count_pretrained_finds_the_people_of_real_footage(vtest_video):
    """vtest.avi (real pedestrians, no truth): the pipeline's detector, as configured, finds people on nearly every
    frame, several at a time, standing boxes, and nothing but people."""
    config = _spec("people_count_pretrained").node("detector").config
    block = OnnxDetector(OnnxDetectorConfig(**config), "detector")
    block.load()
    counts, capture, index = [], cv2.VideoCapture(str(vtest_video)), 0
    while (image := capture.read()[1]) is not None:
        index += 1
        if index % EVERY:
            continue
        frame = Frame(image=read_only(image), index=index, pts=index / 25, wall_time=datetime(2026, 12, 7, 8))
        dets = block.process(None, frame, {"image": frame})["detections"]
        confident = dets[dets.confidence >= 0.4]
        counts.append(len(confident))
        assert set(dets.data["class_name"].tolist()) <= {"person"}
        heights, widths = confident.xyxy[:, 3] - confident.xyxy[:, 1], confident.xyxy[:, 2] - confident.xyxy[:, 0]
        assert (heights > widths).all()
    capture.release()
    assert len(counts) == 795 // EVERY
    assert sum(c > 0 for c in counts) >= 0.9 * len(counts) and sum(counts) / len(counts) >= 3, counts


def test_muck_truck_gate_pretrained_opens_an_order_per_truck_leaving_in_the_hours(real_clips, tmp_path):
    """real_gate: two vans (trucks to the detector) leave the site, a car leaves, a van drives past. The clip starts
    10 s before the window closes: the gate sees both vans leave, only the first one (inside the hours) makes an
    order."""
    clip, truth_path = real_clips("real_gate", 0)
    spec = _spec("muck_truck_gate_pretrained", start_time=NEAR_CLOSING)
    predicted, summary = run_and_collect(spec, clip, tmp_path)  # every rule's events, before the time window
    truth_events = load_truth_file(truth_path)
    report = evaluate_predictions(spec, predicted, truth_events, classes=default_classes(spec)).to_dict(details=False)
    _assert_report_exact(report, {"gate"})  # the gate rule: both vans, not the car
    rows = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    truth = load_truth(truth_path)
    van_exits = sorted(e["time"] for e in truth["events"] if e["type"] == "zone_exit" and e["class"] == "van")
    assert len(van_exits) == 2 and van_exits[0] < 10.0 < van_exits[1]
    assert summary["events"]["gate"]["zone_exit"] == 2
    [order_event] = rows
    assert abs(order_event["pts"] - van_exits[0]) <= 1.0 and order_event["class_name"] == "truck"
    database = tmp_path / spec.node("orders").config["database"]
    with sqlite3.connect(database) as conn:
        orders = conn.execute("SELECT id, site, event_type, snapshot FROM work_orders").fetchall()
    assert [o[0] for o in orders] == [order_event["work_order"]]
    assert orders[0][1:3] == (spec.node("orders").config["site"], "zone_exit") and orders[0][3]


def test_the_demo_counts_the_real_demo_clip_exactly(vtest_video, tmp_path, monkeypatch):
    """`make demo` makes the real-pixel demo clip; the demo pipeline counts it exactly and draws what it found."""
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    clip = demo.make_demo_clip()
    assert demo.is_real_demo()
    spec = load_spec(PIPELINES / "demo_street_count.yaml")
    out = tmp_path / "run"
    summary, rows = _run(spec, clip, out)
    _assert_exact(spec, out, demo.demo_truth(), {"count_line", "side_line"})
    assert summary["frames"] == load_truth(demo.demo_truth())["frames"]
    capture = cv2.VideoCapture(str(out / "annotated.mp4"))
    assert capture.isOpened() and int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == summary["frames"]
    capture.release()
    _assert_snapshots(out, rows)
