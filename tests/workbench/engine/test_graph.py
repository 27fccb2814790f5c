"""Compile and stream: topological order, per-stream state, timings, event counts, failures keep output."""

from __future__ import annotations

import json

import pytest
from toy_blocks import toy_registry, toy_spec_dict

from workbench.core.block import StreamContext
from workbench.core.errors import PipelineInvalid, WorkbenchError
from workbench.engine.graph import compile_pipeline
from workbench.engine.runner import RunOptions, run_pipeline
from workbench.engine.spec import parse_spec


def ctx():
    return StreamContext(out_dir=None, source="toy", fps=10.0, frame_size=(64, 48))


def compiled(data=None):
    return compile_pipeline(parse_spec(data or toy_spec_dict()), toy_registry())


def test_nodes_run_in_dependency_order_even_when_listed_backwards():
    data = toy_spec_dict()
    data["nodes"].reverse()
    pipe = compiled(data)
    assert pipe.source.id == "src"
    assert [n.id for n in pipe.nodes] == ["det", "trk", "rule", "sink"]


def test_invalid_pipeline_does_not_compile():
    data = toy_spec_dict()
    data["nodes"][3]["config"] = {"every": 0}
    with pytest.raises(PipelineInvalid) as err:
        compiled(data)
    assert err.value.problems[0].node == "rule"


def test_streams_of_one_pipeline_keep_separate_state():
    pipe = compiled()
    a, b = pipe.open_stream(ctx()), pipe.open_stream(ctx())
    video = pipe.source.block.open()
    frames = list(video.frames)
    for f in frames:
        a.push(f)
    for f in frames[:4]:
        b.push(f)
    assert a.event_counts == {"rule": {"tick": 3}}
    assert b.event_counts == {"rule": {"tick": 1}}
    a.reset()
    assert a.event_counts == {} and a.states["rule"].seen == 0


def test_stream_reports_every_output_and_mean_time():
    pipe = compiled()
    stream = pipe.open_stream(ctx())
    frame = next(iter(pipe.source.block.open().frames))
    values = stream.push(frame)
    assert set(values) == {("src", "frames"), ("det", "detections"), ("trk", "tracks"), ("rule", "events"),
                           ("sink", "events")}
    assert values[("trk", "tracks")].tracker_id.tolist() == [1]
    assert set(stream.mean_ms()) == {"det", "trk", "rule", "sink"}


def test_run_writes_summary(tmp_path):
    summary = run_pipeline(parse_spec(toy_spec_dict()), RunOptions(out_dir=tmp_path / "out"), toy_registry())
    written = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert written == summary
    assert summary["status"] == "done" and summary["frames"] == 10
    assert summary["events"] == {"rule": {"tick": 3}} and summary["event_total"] == 3
    assert summary["outputs"] == {"sink": {"collected": 3}}
    assert set(summary["per_block_ms"]) == {"det", "trk", "rule", "sink"}


def test_cli_window_options_reach_the_source(tmp_path):
    opts = RunOptions(out_dir=tmp_path, stride=2, max_frames=3)
    summary = run_pipeline(parse_spec(toy_spec_dict()), opts, toy_registry())
    assert summary["frames"] == 3 and summary["last_frame"] == 4


def test_cancel_keeps_results(tmp_path):
    calls = []
    opts = RunOptions(out_dir=tmp_path, on_progress=lambda done, total, fps: calls.append(done),
                      should_stop=lambda: len(calls) >= 4)
    summary = run_pipeline(parse_spec(toy_spec_dict()), opts, toy_registry())
    assert summary["status"] == "cancelled" and summary["frames"] == 4
    assert summary["outputs"] == {"sink": {"collected": 1}}


def test_block_crash_names_node_and_keeps_summary(tmp_path):
    data = toy_spec_dict()
    data["nodes"][4]["config"] = {"fail_at": 7}
    with pytest.raises(WorkbenchError) as err:
        run_pipeline(parse_spec(data), RunOptions(out_dir=tmp_path), toy_registry())
    assert err.value.problems[0].node == "sink"
    assert "ZeroDivisionError" in err.value.problems[0].message()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "error" and summary["frames"] == 7
    assert summary["outputs"] == {"sink": {"collected": 2}}  # finish() still ran


def test_a_source_failing_mid_file_is_named_and_keeps_what_it_produced(tmp_path):
    """A decoder error while reading frames (not in any block's process()) names the source node and field."""
    from toy_blocks import TOYS, ToySource

    from workbench.core.block import VideoStream
    from workbench.core.registry import BlockRegistry

    class BrokenSource(ToySource):
        def open(self) -> VideoStream:
            video = super().open()
            frames = video.frames

            def broken():
                for n, frame in enumerate(frames):
                    if n == 4:
                        raise OSError("corrupt packet at 0x1f00")
                    yield frame

            video.frames = broken()
            return video

    registry = BlockRegistry.of(tuple(BrokenSource if b is ToySource else b for b in TOYS))
    with pytest.raises(WorkbenchError) as err:
        run_pipeline(parse_spec(toy_spec_dict()), RunOptions(out_dir=tmp_path), registry)
    problem = err.value.problems[0]
    assert (problem.code, problem.node, problem.field) == ("block_crashed", "src", "path")
    assert "corrupt packet" in problem.message("zh")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "error" and summary["frames"] == 4


def test_unwritable_out_dir_is_a_user_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(WorkbenchError) as err:
        run_pipeline(parse_spec(toy_spec_dict()), RunOptions(out_dir=blocker / "out"), toy_registry())
    assert err.value.problems[0].field == "--out"


def test_a_block_failing_to_start_closes_those_already_started():
    from toy_blocks import ToySink

    data = toy_spec_dict()
    data["nodes"].append({"id": "sink2", "type": "sinks/toy@v1", "config": {"fail_on_start": True}})
    data["edges"].append({"from": "sink.events", "to": "sink2.events"})  # sink starts before sink2
    ToySink.started.clear()
    with pytest.raises(OSError, match="disk gone"):
        compiled(data).open_stream(ctx())
    assert [state.finished for state in ToySink.started] == [True]


def test_every_event_is_reported_as_it_happens_whatever_the_sinks(tmp_path):
    seen: list[tuple[str, str]] = []
    def on_events(node, events):
        seen.extend((node, e.type) for e in events)

    opts = RunOptions(out_dir=tmp_path / "out", on_events=on_events)
    summary = run_pipeline(parse_spec(toy_spec_dict()), opts, toy_registry())
    by_node = {node: sum(1 for n, _ in seen if n == node) for node, _ in seen}
    assert by_node == {node: sum(counts.values()) for node, counts in summary["events"].items()}
    assert len(seen) == summary["event_total"] > 0
