"""Streams capacity: how many live cameras one machine keeps up with at a target frame rate, and memory per stream.

Every "camera" is the synthetic traffic clip re-encoded at the target rate and played as a live stream
(sources/stream@v1 on a file, real time, drop policy `latest`), all run by `workbench serve`'s Server in one
process (one thread per camera). A level is sustained when every camera processes >= 95 % of the target rate
(the rest would be dropped frames). Measured in one run:
  motion - motion -> ByteTrack -> counting line, at 1, 2, 4, 8, ... cameras until one level is not sustained
  yolo   - an untrained yolo11n (built offline from yolo11n.yaml) at 320 px -> ByteTrack -> line, 1 and 2 cameras
  gil    - the same motion pipeline as fast as it decodes: 2 cameras as 2 threads vs 2 processes vs 1 camera
Memory per stream = growth of this process's RSS (psutil) with the cameras running, divided by their number.

Run: .venv/bin/python benchmarks/streams_capacity.py [--fps 10] [--window 8]   (~2-3 min on 2 cores)
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("WORKBENCH_HOME", tempfile.mkdtemp(prefix="bench-streams-"))
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")

import cv2
import psutil

from workbench.engine.spec import parse_spec
from workbench.features.streams.cameras import CameraEntry
from workbench.features.streams.serve import Server
from workbench.features.synth import generate
from workbench.media.video_io import H264Writer

MOTION = {"type": "detection/motion@v1", "config": {"min_area": 600, "warmup_frames": 25, "class_name": "vehicle"}}
LINE = {"name": "count_line", "start": [320, 140], "end": [320, 265]}


def clip_at(fps: float, folder: Path) -> Path:
    """The traffic clip (25 fps, 20 s) resampled to `fps`."""
    src = generate("traffic", folder / "full").video
    cap = cv2.VideoCapture(str(src))
    rate, frames = cap.get(cv2.CAP_PROP_FPS), []
    ok, img = cap.read()
    while ok:
        frames.append(img)
        ok, img = cap.read()
    out = folder / f"traffic_{fps:g}fps.mp4"
    with H264Writer(out, fps, (frames[0].shape[1], frames[0].shape[0]), preset="ultrafast") as w:
        for i in range(int(len(frames) / rate * fps)):
            w.write(frames[min(len(frames) - 1, round(i * rate / fps))])
    return out


def spec(detector: dict, source: dict | None = None):
    return parse_spec({
        "version": 1, "meta": {"name": "bench-streams"},
        "nodes": [{"id": "src", "type": "sources/stream@v1", "config": source or {"url": "set per camera"}},
                  {"id": "det", **detector},
                  {"id": "trk", "type": "tracking/bytetrack@v1", "config": {}},
                  {"id": "line", "type": "rules/line_crossing@v1", "config": LINE}],
        "edges": [{"from": "src.frames", "to": "det.image"}, {"from": "det.detections", "to": "trk.detections"},
                  {"from": "trk.tracks", "to": "line.tracks"}]})


def level(detector: dict, clip: Path, n: int, window: float, out: Path, source: dict | None = None) -> dict:
    """Run n cameras for `window` seconds after they all connected; per-camera processed fps, drops and memory."""
    proc = psutil.Process()
    base = proc.memory_info().rss
    cams = [CameraEntry(id=f"cam{i}", url=str(clip)) for i in range(n)]
    server = Server(spec(detector, source), cams, out / f"{detector['type'].split('/')[1]}-{n}").start()
    deadline = time.monotonic() + 120
    while not all(h.frames_out > 0 for h in server.health()) and time.monotonic() < deadline:
        time.sleep(0.1)
    first = [h.frames_out for h in server.health()]
    began = time.monotonic()
    time.sleep(window)
    last, took = server.health(), time.monotonic() - began
    rss = proc.memory_info().rss
    server.stop()
    fps = [(h.frames_out - f) / took for h, f in zip(last, first, strict=True)]
    dropped = sum(h.dropped for h in last) / max(1, sum(h.frames_in for h in last))
    return {"n": n, "min_fps": min(fps), "total_fps": sum(fps), "dropped": dropped,
            "mb_per_stream": (rss - base) / n / 2**20, "lag": max(h.lag_s for h in last)}


FAST = {"url": "x", "realtime": False, "drop_policy": "every"}  # read as fast as it decodes, every frame


def fastest(clip: Path, n: int, out: Path) -> float:
    """Total processed fps of n cameras (threads) each playing the whole clip as fast as possible."""
    server = Server(spec(MOTION, FAST), [CameraEntry(id=f"cam{i}", url=str(clip)) for i in range(n)], out).start()
    server.wait(600)
    server.stop()
    return sum(run.summary["processing_fps"] for run in server.runs)


def _one_process(clip: str, out: str, q: mp.Queue) -> None:
    fps = fastest(Path(clip), 1, Path(out))
    q.put((fps, psutil.Process().memory_info().rss / 2**20))


def gil(clip: Path, out: Path) -> dict:
    """Fastest decode+process: 1 camera, 2 cameras as threads, 2 cameras as processes (spawned, own interpreter)."""
    one, threads = fastest(clip, 1, out / "gil1"), fastest(clip, 2, out / "gil2")
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_one_process, args=(str(clip), str(out / f"gilp{i}"), q)) for i in range(2)]
    for p in procs:
        p.start()
    results = [q.get(timeout=600) for _ in procs]
    processes, process_mb = sum(r[0] for r in results), max(r[1] for r in results)
    for p in procs:
        p.join()
    return {"one": one, "threads": threads, "processes": processes, "process_mb": process_mb}


def yolo_detector(folder: Path) -> dict:
    from workbench.models.ultralytics_env import prepare_ultralytics
    from workbench.models.zoo import import_weights

    prepare_ultralytics()
    from ultralytics import YOLO

    weights = folder / "untrained.pt"
    YOLO("yolo11n.yaml").save(str(weights))
    import_weights(weights, "bench-untrained")
    return {"type": "detection/yolo@v1", "config": {"model": "bench-untrained", "imgsz": 320, "device": "cpu"}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fps", type=float, default=10.0, help="frame rate of every camera (the target)")
    ap.add_argument("--window", type=float, default=8.0, help="seconds measured per level")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="streams-capacity-"))
    clip = clip_at(args.fps, folder)
    level(MOTION, clip, 1, 1.0, folder / "warm-up")  # imports (ultralytics' tracker, torch) are not per stream
    print(f"{os.cpu_count()} cores; cameras at {args.fps:g} fps; sustained = every camera >= 95 % of that")
    head = ("pipeline", "cams", "min fps", "total fps", "dropped", "max lag s", "MB/stream")
    print(f"{head[0]:<8} " + " ".join(f"{h:>{max(4, len(h))}}" for h in head[1:]))
    best: dict[str, int] = {}
    for name, det, counts in (("motion", MOTION, (1, 2, 3, 4, 6, 8, 12, 16)), ("yolo", None, (1, 2, 3))):
        if det is None:
            det = yolo_detector(folder)
            level(det, clip, 1, 1.0, folder / "warm-up-yolo")  # torch and the model code load once per process
        for n in counts:
            r = level(det, clip, n, args.window, folder)
            ok = r["min_fps"] >= 0.95 * args.fps
            print(f"{name:<8} {n:>4} {r['min_fps']:>8.1f} {r['total_fps']:>9.1f} {r['dropped']:>8.1%} "
                  f"{r['lag']:>9.2f} {r['mb_per_stream']:>9.1f}  {'sustained' if ok else 'NOT sustained'}", flush=True)
            if not ok:
                break
            best[name] = n
    g = gil(generate("traffic", folder / "full").video, folder)  # 25 fps, 500 frames
    print(f"as fast as possible (motion): 1 camera {g['one']:.0f} fps; 2 threads {g['threads']:.0f} fps total "
          f"({g['threads'] / g['one']:.2f}x); 2 processes {g['processes']:.0f} fps total "
          f"({g['processes'] / g['one']:.2f}x, {g['process_mb']:.0f} MB RSS each); "
          f"threads/processes {g['threads'] / g['processes']:.2f}")
    print(f"capacity at {args.fps:g} fps: motion {best.get('motion', 0)} cameras, yolo11n@320 {best.get('yolo', 0)}")


if __name__ == "__main__":
    main()
