"""Pretrained vehicle counting end to end: the whole pipeline (video decode, NanoDet on onnxruntime, ByteTrack, two
counting lines, snapshots, events, annotated H.264 video) at the detector's 416 px and 320 px input, side by side.

The pipeline is `pipelines/vehicle_count_pretrained.yaml` (built here the same way when that file is missing: video
-> detection/onnx@v1 nanodet-m-416 [car, truck, bus, motorcycle] -> tracking/bytetrack@v1 -> rules/line_crossing@v1),
run on a real-pixel `real_traffic` clip (768x576, 25 fps) generated into this run's own temporary home. The two sizes
differ only in the detector's `imgsz` (the bundled NanoDet file leaves its input size open). Runs of each size take
turns, order rotated between rounds, every run in this one process (the model loads once per size, before timing),
so a busy machine slows both alike. Prints fps (wall), frames per CPU-second of the whole process (all threads: less
disturbed by other work on the machine than wall time), the detector's mean ms per frame, and 320 / 416.

Run: .venv/bin/python benchmarks/pretrained_pipeline.py [--frames 250] [--repeat 2]   (~3 min on 2 busy cores; needs
Debian's opencv-doc for the real-pixel clip)
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("WORKBENCH_HOME", tempfile.mkdtemp(prefix="bench-pretrained-"))

from workbench.core.registry import default_registry
from workbench.engine.graph import compile_pipeline
from workbench.engine.runner import RunOptions, override_source, prepare_out_dir, run_compiled
from workbench.engine.spec import PipelineSpec, load_spec, parse_spec

REPO = Path(__file__).resolve().parents[1]
PIPELINE = REPO / "pipelines" / "vehicle_count_pretrained.yaml"
SIZES = (416, 320)


def fallback_spec() -> PipelineSpec:
    """The benchmark's own vehicle-count pipeline on the bundled NanoDet, for a checkout without the bundled file."""
    return parse_spec({
        "version": 1, "meta": {"name": "bench-vehicle-count-pretrained"},
        "nodes": [
            {"id": "src", "type": "sources/video_file@v1", "config": {"path": "set per run"}},
            {"id": "detector", "type": "detection/onnx@v1",
             "config": {"model": "nanodet-m-416", "classes": ["car", "truck", "bus", "motorcycle"], "conf": 0.1}},
            {"id": "tracker", "type": "tracking/bytetrack@v1",
             "config": {"track_high_thresh": 0.3, "track_low_thresh": 0.1, "new_track_thresh": 0.4}},
            {"id": "count_line", "type": "rules/line_crossing@v1",
             "config": {"name": "count_line", "start": [250, 196], "end": [250, 292]}},
            {"id": "snapshots", "type": "sinks/snapshots@v1", "config": {"folder": "snapshots"}},
            {"id": "events", "type": "sinks/events_file@v1", "config": {"name": "events"}},
            {"id": "video", "type": "sinks/annotated_video@v1", "config": {"filename": "annotated.mp4"}}],
        "edges": [{"from": "src.frames", "to": "detector.image"},
                  {"from": "detector.detections", "to": "tracker.detections"},
                  {"from": "tracker.tracks", "to": "count_line.tracks"},
                  {"from": "src.frames", "to": "snapshots.image"},
                  {"from": "count_line.events", "to": "snapshots.events"},
                  {"from": "snapshots.events", "to": "events.events"}, {"from": "src.frames", "to": "video.image"},
                  {"from": "tracker.tracks", "to": "video.detections"},
                  {"from": "count_line.events", "to": "video.events"}]})


def at_size(spec: PipelineSpec, size: int) -> tuple[PipelineSpec, str]:
    """The pipeline with its ONNX detector at `size` px input; also the detector's node id."""
    data = spec.to_dict()
    node = next(n for n in data["nodes"] if n["type"] == "detection/onnx@v1")
    node["config"] = {**node.get("config", {}), "imgsz": size}
    return parse_spec(data), node["id"]


def run_once(compiled: Any, clip: Path, out: Path, frames: int, detector: str) -> dict[str, float]:
    """One run of `frames` frames: wall seconds, CPU seconds of this process, frames, the detector's mean ms."""
    shutil.rmtree(out, ignore_errors=True)
    prepare_out_dir(out)
    cpu, wall = time.process_time(), time.perf_counter()
    summary = run_compiled(compiled, RunOptions(out_dir=out, source=str(clip), max_frames=frames))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "frames": summary["frames"],
            "det_ms": summary["per_block_ms"].get(detector, 0.0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=250, help="frames per run (the clip has 850)")
    ap.add_argument("--repeat", type=int, default=2, help="rounds; each round runs every size once")
    ap.add_argument("--pipeline", type=Path, default=PIPELINE)
    args = ap.parse_args()
    from workbench.features.synth import generate

    folder = Path(tempfile.mkdtemp(prefix="pretrained-pipeline-"))
    try:
        began = time.perf_counter()
        clip = generate("real_traffic", folder / "clip").video
        print(f"real_traffic clip generated in {time.perf_counter() - began:.0f} s; {os.cpu_count()} cores; load "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)", flush=True)
        base = load_spec(args.pipeline) if args.pipeline.is_file() else fallback_spec()
        print(f"pipeline: {args.pipeline.name if args.pipeline.is_file() else 'built in (bundled file missing)'}")
        registry = default_registry()
        compiled: dict[int, tuple[Any, str]] = {}
        for size in SIZES:  # the model loads (once per size) before anything is timed
            spec, detector = at_size(base, size)
            spec = override_source(spec, registry, RunOptions(out_dir=folder, source=str(clip)))
            compiled[size] = (compile_pipeline(spec, registry), detector)
            run_once(compiled[size][0], clip, folder / f"warm{size}", 10, detector)
        totals = {size: {"wall": 0.0, "cpu": 0.0, "frames": 0, "det_ms": 0.0} for size in SIZES}
        for r in range(args.repeat):
            for size in SIZES[r % 2:] + SIZES[:r % 2]:  # order rotates between rounds
                pipeline, detector = compiled[size]
                result = run_once(pipeline, clip, folder / f"run{size}", args.frames, detector)
                print(f"  round {r + 1}, {size} px: {result['frames'] / result['wall']:.1f} fps, "
                      f"{result['frames'] / result['cpu']:.1f} frames per CPU-second", flush=True)
                for key in ("wall", "cpu", "frames"):
                    totals[size][key] += result[key]
                totals[size]["det_ms"] += result["det_ms"] / args.repeat
        print()
        for size, t in totals.items():
            print(f"{size} px: {t['frames'] / t['wall']:5.1f} fps end to end (wall), "
                  f"{t['frames'] / t['cpu']:5.1f} frames per CPU-second, detector {t['det_ms']:.0f} ms per frame")
        fast, slow = totals[320], totals[416]
        print(f"320 / 416 = {(fast['frames'] / fast['wall']) / (slow['frames'] / slow['wall']):.2f} wall, "
              f"{(fast['frames'] / fast['cpu']) / (slow['frames'] / slow['cpu']):.2f} per CPU-second")
        print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        home = Path(os.environ["WORKBENCH_HOME"])
        if home.name.startswith("bench-pretrained-") and home.parent == Path(tempfile.gettempdir()):
            shutil.rmtree(home, ignore_errors=True)  # this run's own temporary home


if __name__ == "__main__":
    main()
