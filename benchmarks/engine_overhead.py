"""Engine overhead: detector + tracker + line crossing through the engine vs the same work as hand-written loops.

Same clip, same run, interleaved repetitions (best of N each), all on the same process:
  hand   - a plain loop over OpenCV MOG2 + contours, ultralytics BYTETracker and supervision LineZone (no workbench)
  blocks - the workbench's blocks called directly in a loop (what the blocks cost, without the engine)
  engine - the compiled pipeline run by the workbench runner (video_file -> motion -> bytetrack -> line_crossing)
Prints fps of each and the ratios engine/hand (goal >= 0.97) and engine/blocks (pure engine cost).

Run: .venv/bin/python benchmarks/engine_overhead.py [--repeat 3] [--clip PATH]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import supervision as sv

from workbench.core.registry import default_registry
from workbench.engine.runner import RunOptions, run_pipeline
from workbench.engine.spec import parse_spec
from workbench.features.synth import generate

MOTION = {"min_area": 600, "warmup_frames": 25, "class_name": "vehicle"}
LINE = {"name": "count_line", "start": [320, 140], "end": [320, 265]}


def spec_dict(clip: Path) -> dict:
    return {
        "version": 1, "meta": {"name": "bench"},
        "nodes": [{"id": "src", "type": "sources/video_file@v1", "config": {"path": str(clip)}},
                  {"id": "det", "type": "detection/motion@v1", "config": MOTION},
                  {"id": "trk", "type": "tracking/bytetrack@v1", "config": {}},
                  {"id": "line", "type": "rules/line_crossing@v1", "config": LINE}],
        "edges": [{"from": "src.frames", "to": "det.image"}, {"from": "det.detections", "to": "trk.detections"},
                  {"from": "trk.tracks", "to": "line.tracks"}],
    }


def run_engine(clip: Path, out: Path) -> tuple[int, float]:
    began = time.perf_counter()
    summary = run_pipeline(parse_spec(spec_dict(clip)), RunOptions(out_dir=out))
    return summary["frames"], time.perf_counter() - began


def run_blocks(clip: Path) -> tuple[int, float]:
    """The same block objects, compiled, but driven by a hand loop instead of the runner."""
    from workbench.core.block import StreamContext
    from workbench.engine.graph import compile_pipeline

    began = time.perf_counter()
    pipe = compile_pipeline(parse_spec(spec_dict(clip)), default_registry())
    video = pipe.source.block.open()
    det, trk, line = (n.block for n in pipe.nodes)
    ctx = StreamContext(out_dir=None, source=str(clip), fps=video.fps, frame_size=video.frame_size)
    s_det, s_trk, s_line = det.start(ctx), trk.start(ctx), line.start(ctx)
    frames = 0
    for frame in video.frames:
        d = det.process(s_det, frame, {"image": frame})["detections"]
        t = trk.process(s_trk, frame, {"detections": d})["tracks"]
        line.process(s_line, frame, {"tracks": t})
        frames += 1
    video.close()
    return frames, time.perf_counter() - began


def run_hand(clip: Path) -> tuple[int, float]:
    """No workbench at all: the libraries used the way a tutorial would."""
    from ultralytics.engine.results import Boxes
    from ultralytics.trackers.byte_tracker import BYTETracker

    began = time.perf_counter()
    cap = cv2.VideoCapture(str(clip))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    sub = cv2.createBackgroundSubtractorMOG2(history=500, varThreshold=16, detectShadows=True)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    args = SimpleNamespace(tracker_type="bytetrack", track_high_thresh=0.25, track_low_thresh=0.1,
                           new_track_thresh=0.25, track_buffer=round(30 * fps / 30), match_thresh=0.8, fuse_score=True)
    tracker = BYTETracker(args)
    line = sv.LineZone(start=sv.Point(*LINE["start"]), end=sv.Point(*LINE["end"]), minimum_crossing_threshold=3)
    frames = 0
    while True:
        ok, image = cap.read()
        if not ok:
            break
        frames += 1
        mask = sub.apply(cv2.GaussianBlur(image, (5, 5), 0))
        _, mask = cv2.threshold(mask, 200, 255, cv2.THRESH_BINARY)
        mask = cv2.dilate(cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel), np.ones((3, 3), np.uint8), iterations=2)
        boxes = []
        if frames > MOTION["warmup_frames"]:
            contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            for c in contours:
                x, y, w, h = cv2.boundingRect(c)
                if w * h >= MOTION["min_area"]:
                    boxes.append((x, y, x + w, y + h, np.count_nonzero(mask[y:y + h, x:x + w]) / (w * h), 0))
        rows = np.array(boxes, dtype=np.float32).reshape(-1, 6)
        tracked = tracker.update(Boxes(rows, orig_shape=image.shape[:2]), image).reshape(-1, 8)
        dets = sv.Detections(xyxy=tracked[:, :4].astype(np.float32), tracker_id=tracked[:, 4].astype(int),
                             class_id=tracked[:, 6].astype(int))
        line.trigger(dets)
    cap.release()
    return frames, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clip", type=Path, help="default: the synthetic traffic clip")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = args.clip or generate("traffic", Path(tmp) / "clip").video
        run_hand(clip)  # warm-up: imports, first-use costs
        best = {"hand": 0.0, "blocks": 0.0, "engine": 0.0}
        best_cpu = dict(best)  # CPU seconds of the process: less disturbed by a noisy virtual machine than wall time
        runs = {"hand": lambda: run_hand(clip), "blocks": lambda: run_blocks(clip),
                "engine": lambda: run_engine(clip, Path(tmp) / "run")}
        names = list(runs)
        for i in range(args.repeat):
            for name in names[i % 3:] + names[: i % 3]:  # rotate the order so no variant always runs last
                cpu = time.process_time()
                frames, seconds = runs[name]()
                cpu = time.process_time() - cpu
                best[name] = max(best[name], frames / seconds)
                best_cpu[name] = max(best_cpu[name], frames / cpu)
        print(f"clip: {clip.name}, {frames} frames, best of {args.repeat}")
        for name in best:
            print(f"  {name:<7} {best[name]:8.1f} fps wall   {best_cpu[name]:8.1f} frames per CPU-second")
        for label, table in (("wall", best), ("cpu", best_cpu)):
            print(f"{label}: engine / hand = {table['engine'] / table['hand']:.3f} (goal >= 0.97), "
                  f"engine / blocks = {table['engine'] / table['blocks']:.3f} (cost of the engine itself)")


if __name__ == "__main__":
    main()
