"""Ground truth: the synthetic generator's files, events entered by staff (JSON/CSV), events derived from tracks."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from workbench.core.errors import WorkbenchError
from workbench.features.evaluation.truth import (
    derive_events,
    from_synth_truth,
    load_truth_file,
    parse_truth,
    parse_truth_csv,
    tracks_from_synth,
    write_truth_csv,
)
from workbench.features.synth import compute_truth, get

STAFF = {"version": 1, "clip": "gate_cam_0800.mp4", "events": [
    {"type": "stopped", "region": "fire_lane", "time_s": 4.2, "duration_s": 9, "track": 1, "class": "car"},
    {"type": "line_crossing", "region": "count_line", "direction": "in", "time_s": 3.9},
]}


@pytest.fixture(scope="module")
def truths() -> dict[str, dict]:
    return {name: compute_truth(get(name)) for name in ("traffic", "restricted_zone", "fire_lane", "muck_truck")}


def test_staff_json_is_read_sorted_by_time(tmp_path):
    path = tmp_path / "truth.json"
    path.write_text(json.dumps(STAFF), encoding="utf-8")
    truth = load_truth_file(path)
    assert truth.clip == "gate_cam_0800.mp4"
    first, second = truth.events
    assert (first.type, first.time_s, first.direction, first.duration_s) == ("line_crossing", 3.9, "in", None)
    assert (second.region, second.duration_s, second.track, second.class_name) == ("fire_lane", 9.0, 1, "car")


def test_a_bare_list_of_events_is_accepted():
    assert len(parse_truth(STAFF["events"]).events) == 2


def test_csv_round_trip_keeps_every_field(tmp_path):
    truth = parse_truth(STAFF)
    path = tmp_path / "truth.csv"
    path.write_text(write_truth_csv(truth), encoding="utf-8")
    again = load_truth_file(path)
    assert again.events == truth.events


def test_every_bad_cell_is_reported_at_once_with_row_and_column():
    rows = [{"type": "line_crossing", "time_s": "soon"}, {"time_s": 3}, {"type": "stopped", "time_s": 2,
                                                                         "duration_s": -4, "track": "car 1"}]
    with pytest.raises(WorkbenchError) as err:
        parse_truth({"events": rows}, origin="t.json")
    where = [(p.code, p.params["row"], p.params["column"]) for p in err.value.problems]
    assert where == [("eval_truth_bad_event", 1, "time_s"), ("eval_truth_bad_event", 2, "type"),
                     ("eval_truth_bad_event", 3, "duration_s"), ("eval_truth_bad_event", 3, "track")]


def test_csv_rows_are_numbered_as_in_a_spreadsheet_and_the_header_is_checked():
    with pytest.raises(WorkbenchError) as err:
        parse_truth_csv("type,time_s\nzone_enter,1.0\nzone_exit,x\n")
    assert [(p.params["row"], p.params["column"]) for p in err.value.problems] == [(3, "time_s")]
    with pytest.raises(WorkbenchError) as err:
        parse_truth_csv("kind,when\nzone_enter,1.0\n")
    assert err.value.problems[0].code == "eval_truth_csv_header"


@pytest.mark.parametrize(("content", "code"), [(None, "eval_truth_missing"), ("{not json", "eval_truth_unreadable"),
                                               ('{"events": 3}', "eval_truth_shape")])
def test_unusable_files_name_the_problem(tmp_path, content, code):
    path = tmp_path / "truth.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(WorkbenchError) as err:
        load_truth_file(path)
    assert err.value.problems[0].code == code and err.value.problems[0].params["path"] == str(path)


def test_synthetic_truth_file_is_recognised_and_exits_carry_the_visit_length(tmp_path, truths):
    truth = truths["restricted_zone"]
    path = tmp_path / "rz.truth.json"
    path.write_text(json.dumps(truth), encoding="utf-8")
    loaded = load_truth_file(path)
    assert loaded.fps == truth["fps"] and set(loaded.regions) == {"restricted"}
    assert len(loaded.events) == len(truth["events"])
    visits = sorted(e["value"] for e in truth["events"] if e["type"] == "dwell")
    assert sorted(e.duration_s for e in loaded.events if e.type == "zone_exit") == visits


def _key(e):
    return e.type, round(e.time_s, 3), e.region, e.direction, e.track


def test_crossings_derived_from_tracks_equal_the_generators_per_direction(truths):
    truth = truths["traffic"]
    derived = derive_events(tracks_from_synth(truth), truth["regions"], truth["fps"])
    generated = from_synth_truth(truth).events
    assert Counter(map(_key, derived)) == Counter(map(_key, generated))
    per_direction = Counter(e.direction for e in derived if e.type == "line_crossing")
    assert per_direction == {"in": 7, "out": 7}


@pytest.mark.parametrize("scenario", ["restricted_zone", "fire_lane", "muck_truck"])
def test_zone_and_stop_events_derived_from_tracks_agree_within_a_frame(truths, scenario):
    """The blocks' zone (supervision's PolygonZone) counts its border as inside, the generator does not: one frame."""
    truth = truths[scenario]
    frame = 1 / truth["fps"]
    derived = sorted(derive_events(tracks_from_synth(truth), truth["regions"], truth["fps"]), key=_key)
    generated = sorted(from_synth_truth(truth).events, key=_key)
    assert [(e.type, e.region, e.track) for e in derived] == [(e.type, e.region, e.track) for e in generated]
    for d, g in zip(derived, generated, strict=True):
        assert d.time_s == pytest.approx(g.time_s, abs=frame + 1e-6)
        if g.duration_s is not None:
            assert d.duration_s == pytest.approx(g.duration_s, abs=2 * frame + 1e-6)


def test_tracks_with_gaps_still_cross():
    """Labeled keyframes may skip frames: a crossing between two labeled frames is still found, at the later one."""
    from workbench.features.evaluation.truth import LabeledTrack

    track = LabeledTrack(7, "car", {10: (100, 50, 140, 80), 11: (110, 50, 150, 80), 30: (300, 50, 340, 80)})
    events = derive_events([track], {"l": {"kind": "line", "points": [[200, 0], [200, 200]]}}, fps=10.0)
    assert [(e.type, e.time_s, e.direction, e.track) for e in events] == [("line_crossing", 3.0, "in", 7)]
