"""The `workbench` command as a user runs it: results on disk, and bad input answered with a clear message, a
non-zero exit, no traceback, and nothing already written lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from workbench.media.video_io import H264Writer, is_h264_mp4

PIPELINE = {
    "version": 1,
    "meta": {"name": "box-count", "description": "count a box crossing a line"},
    "nodes": [
        {"id": "src", "type": "sources/video_file@v1", "config": {"path": "unset.mp4"}},
        {"id": "det", "type": "detection/motion@v1", "config": {"min_area": 300}},
        {"id": "trk", "type": "tracking/bytetrack@v1", "config": {}},
        {"id": "line", "type": "rules/line_crossing@v1",
         "config": {"name": "gate", "start": [160, 0], "end": [160, 240]}},
        {"id": "snap", "type": "sinks/snapshots@v1", "config": {}},
        {"id": "events", "type": "sinks/events_file@v1", "config": {}},
        {"id": "video", "type": "sinks/annotated_video@v1", "config": {}},
    ],
    "edges": [
        {"from": "src.frames", "to": "det.image"},
        {"from": "det.detections", "to": "trk.detections"},
        {"from": "trk.tracks", "to": "line.tracks"},
        {"from": "src.frames", "to": "snap.image"},
        {"from": "line.events", "to": "snap.events"},
        {"from": "snap.events", "to": "events.events"},
        {"from": "src.frames", "to": "video.image"},
        {"from": "trk.tracks", "to": "video.detections"},
        {"from": "line.events", "to": "video.events"},
    ],
}
FRAMES = 120


def write_clip(path: Path, frames: int = FRAMES) -> Path:
    """A textured background and one bright box moving left to right, crossing x=160 once."""
    rng = np.random.default_rng(0)
    background = rng.integers(60, 90, size=(240, 320, 3), dtype=np.uint8)
    with H264Writer(path, fps=25, size=(320, 240)) as writer:
        for i in range(frames):
            img = background.copy()
            x = 10 + i * 2
            cv2.rectangle(img, (x, 100), (x + 30, 130), (230, 230, 230), -1)
            writer.write(img)
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return write_clip(tmp_path_factory.mktemp("clip") / "box.mp4")


@pytest.fixture
def pipeline(tmp_path) -> Path:
    path = tmp_path / "box_count.yaml"
    path.write_text(yaml.safe_dump(PIPELINE, sort_keys=False))
    return path


def workbench(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "WORKBENCH_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "workbench.apps.cli", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def assert_user_error(out: subprocess.CompletedProcess, *needles: str) -> None:
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    for needle in needles:
        assert needle in out.stderr, out.stderr


def test_run_writes_every_result(clip, pipeline, tmp_path):
    out = workbench("run", str(pipeline), "--source", str(clip), "--out", str(tmp_path / "run"))
    assert out.returncode == 0, out.stderr
    run = tmp_path / "run"
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    assert [(e["type"], e["direction"], e["region"]) for e in events] == [("line_crossing", events[0]["direction"],
                                                                            "gate")]
    assert events[0]["direction"] in {"in", "out"} and events[0]["trajectory"]
    assert (run / events[0]["snapshot"]).is_file()
    assert (run / "events.csv").read_text(encoding="utf-8-sig").count("\n") == 2
    assert is_h264_mp4(run / "annotated.mp4")
    assert int(cv2.VideoCapture(str(run / "annotated.mp4")).get(cv2.CAP_PROP_FRAME_COUNT)) == FRAMES
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "done" and summary["frames"] == FRAMES
    assert summary["events"] == {"line": {"line_crossing": 1}}
    assert set(summary["per_block_ms"]) == {"det", "trk", "line", "snap", "events", "video"}


def test_frame_window_options(clip, pipeline, tmp_path):
    out = workbench("run", str(pipeline), "--source", str(clip), "--out", str(tmp_path / "r"), "--stride", "2",
                    "--start", "1", "--max-frames", "10")
    assert out.returncode == 0, out.stderr
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["frames"] == 10 and summary["last_frame"] == 25 + 9 * 2


def test_missing_video(pipeline, tmp_path):
    out = workbench("run", str(pipeline), "--source", str(tmp_path / "nope.mp4"), "--out", str(tmp_path / "r"))
    assert_user_error(out, "src.path", "nope.mp4")


def test_not_a_video(pipeline, tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video")
    assert_user_error(workbench("run", str(pipeline), "--source", str(fake), "--out", str(tmp_path / "r")), "src.path")


def test_truncated_video_keeps_partial_results(clip, pipeline, tmp_path):
    cut = tmp_path / "cut.mp4"
    data = clip.read_bytes()
    cut.write_bytes(data[: len(data) * 9 // 10])  # the first keyframe is a large share of this small file
    out = workbench("run", str(pipeline), "--source", str(cut), "--out", str(tmp_path / "r"))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["status"] == "stopped_early"
    assert 0 < summary["frames"] < FRAMES and str(summary["frames"]) in summary["stopped_early"]
    assert is_h264_mp4(tmp_path / "r" / "annotated.mp4")


def test_unreadable_yaml(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("nodes: [\n  - id: x\n")
    assert_user_error(workbench("validate", str(bad)), "bad.yaml", "line")
    assert_user_error(workbench("run", str(bad), "--out", str(tmp_path / "r")), "bad.yaml")


def test_validate_lists_every_problem(tmp_path):
    broken = json.loads(json.dumps(PIPELINE))
    broken["nodes"][1]["type"] = "detection/motoin@v1"
    broken["nodes"][2]["config"] = {"track_buffer": -5}
    broken["edges"].append({"from": "src.frames", "to": "line.tracks"})
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))
    out = workbench("validate", str(path))
    assert_user_error(out, "det.type", "detection/motion@v1", "trk.config.track_buffer", "line.inputs.tracks",
                      "'image'", "'tracks'")
    problems = json.loads(workbench("validate", str(path), "--json").stdout)
    expected = {"unknown_block", "config_greater_than_equal", "edge_kind", "input_fed_twice"}
    assert {p["code"] for p in problems} >= expected


def test_valid_pipeline_validates(pipeline):
    out = workbench("validate", str(pipeline))
    assert out.returncode == 0 and "OK" in out.stdout


def test_out_folder_not_writable(clip, pipeline, tmp_path):
    (tmp_path / "file").write_text("")
    out = workbench("run", str(pipeline), "--source", str(clip), "--out", str(tmp_path / "file" / "r"))
    assert_user_error(out, "--out")


def test_missing_weights_offline_says_how_to_import(clip, tmp_path, monkeypatch):
    spec = json.loads(json.dumps(PIPELINE))
    spec["nodes"][1] = {"id": "det", "type": "detection/yolo@v1", "config": {"model": "yolo11n"}}
    path = tmp_path / "yolo.yaml"
    path.write_text(yaml.safe_dump(spec))
    env_home = tmp_path / "home"
    monkeypatch.setenv("WORKBENCH_HOME", str(env_home))
    monkeypatch.delenv("WORKBENCH_ALLOW_DOWNLOADS", raising=False)
    out = workbench("run", str(path), "--source", str(clip), "--out", str(tmp_path / "r"))
    assert_user_error(out, "det.model", "workbench zoo import")


def test_chinese_messages(pipeline, tmp_path):
    out = workbench("--lang", "zh", "run", str(pipeline), "--source", str(tmp_path / "nope.mp4"),
                    "--out", str(tmp_path / "r"))
    assert out.returncode == 1 and any("\u4e00" <= ch <= "\u9fff" for ch in out.stderr)


def test_blocks_listing_is_human_and_json():
    text = workbench("blocks")
    assert text.returncode == 0 and "rules/line_crossing@v1" in text.stdout
    described = json.loads(workbench("blocks", "--json").stdout)["blocks"]
    line = next(b for b in described if b["type"] == "rules/line_crossing@v1")
    assert line["category"] == "rules" and line["inputs"][0]["kind"] == "tracks"
    assert "start" in line["config_schema"]["properties"]


def test_synth_writes_clip_and_truth(tmp_path):
    out = workbench("synth", "restricted_zone", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    written = json.loads(out.stdout)
    assert is_h264_mp4(written["video"])
    assert json.loads(Path(written["truth"]).read_text())["scenario"] == "restricted_zone"
    assert_user_error(workbench("synth", "volcano", "--out", str(tmp_path)), "volcano")


OUT_OF_RANGE = [  # issue 14: every numeric option refuses values that make no sense, naming the option
    ("run", "{pipeline}", "--out", "{tmp}", "--max-frames", "-1"),
    ("run", "{pipeline}", "--out", "{tmp}", "--max-frames", "0"),
    ("run", "{pipeline}", "--out", "{tmp}", "--stride", "0"),
    ("run", "{pipeline}", "--out", "{tmp}", "--start", "-2.5"),
    ("run", "{pipeline}", "--out", "{tmp}", "--end", "0"),
    ("run", "{pipeline}", "--out", "{tmp}", "--end", "nan"),
    ("synth", "traffic", "--out", "{tmp}", "--seed", "-1"),
    ("batch", "{pipeline}", "--workers", "0"),
    ("batch", "{pipeline}", "--retries", "-1"),
    ("batch", "{pipeline}", "--stride", "-3"),
    ("batch", "{pipeline}", "--max-frames", "0"),
    ("train", "data.yaml", "--epochs", "0"),
    ("train", "data.yaml", "--batch", "-8"),
    ("train", "data.yaml", "--patience", "-1"),
    ("eval", "events", "{pipeline}", "--clip", "c.mp4", "--truth", "t.json", "--tolerance", "-1"),
    ("eval", "detection", "data.yaml", "--model", "m", "--batch", "0"),
    ("frames", "sample", "clip", "--every", "0"),
    ("frames", "sample", "clip", "--threshold", "1.5"),
    ("frames", "sample", "clip", "--dedupe", "-2"),
    ("labelstudio", "start", "--port", "0"),
    ("labelstudio", "start", "--port", "70000"),
    ("dataset", "build", "--val-fraction", "-0.1"),
    ("dataset", "build", "--frame-step", "0"),
    ("dataset", "build", "--seed", "-5"),
]


@pytest.mark.parametrize("args", OUT_OF_RANGE, ids=[" ".join(a[:1] + a[-2:]) for a in OUT_OF_RANGE])
def test_out_of_range_numbers_are_refused_naming_the_option(args, pipeline, tmp_path):
    filled = [a.format(pipeline=pipeline, tmp=tmp_path / "out") for a in args]
    out = workbench(*filled)
    option, value = filled[-2], filled[-1]
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr and out.stderr.startswith("usage:")
    assert f"argument {option}:" in out.stderr and f"(got {value})" in out.stderr, out.stderr
    assert not (tmp_path / "out").exists(), "nothing ran"


def test_out_of_range_number_refused_in_chinese(pipeline, tmp_path):
    out = workbench("--lang", "zh", "run", str(pipeline), "--out", str(tmp_path), "--max-frames", "-1")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "--max-frames" in out.stderr and "必须大于或等于 1" in out.stderr, out.stderr


@pytest.mark.parametrize("command", [("run", "{pipeline}", "--out", "{tmp}"),
                                     ("eval", "events", "{pipeline}", "--clip", "c.mp4", "--truth", "t.json")])
def test_an_end_not_after_the_start_is_refused_naming_both_options(command, pipeline, tmp_path):
    filled = [a.format(pipeline=pipeline, tmp=tmp_path / "out") for a in command]
    out = workbench("--lang", "zh", *filled, "--start", "5", "--end", "3")
    assert out.returncode == 2 and "Traceback" not in out.stderr and out.stderr.startswith("usage:")
    assert "--end（3.0 秒）必须晚于 --start（5.0 秒）" in out.stderr, out.stderr
    assert not (tmp_path / "out").exists(), "nothing ran"


def test_numbers_in_range_still_accepted(clip, pipeline, tmp_path):
    out = workbench("run", str(pipeline), "--source", str(clip), "--out", str(tmp_path / "r"), "--max-frames", "1",
                    "--stride", "1", "--start", "0", "--quiet")
    assert out.returncode == 0, out.stderr


def test_empty_pipeline_and_one_without_nodes_say_what_is_missing(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n")
    for command in (("validate", str(empty)), ("run", str(empty), "--out", str(tmp_path / "r"))):
        assert_user_error(workbench(*command), "empty.yaml is empty", "meta", "nodes", "ls pipelines/")
    no_nodes = tmp_path / "no_nodes.yaml"
    no_nodes.write_text("version: 1\nmeta: {name: x}\nedges: []\n")
    assert_user_error(workbench("validate", str(no_nodes)), "no_nodes.yaml has no nodes list", "Add `nodes:`",
                      "sources/video_file@v1")
