"""Streams capacity: how many live cameras one machine keeps up with at a target frame rate, and memory per stream.

Every "camera" is the synthetic traffic clip re-encoded at the target rate and played as a live stream
(sources/stream@v1 on a file, real time, drop policy `latest`), all run by `workbench serve`'s Server in one
process (one thread per camera). A level is sustained when every camera processes >= 95 % of the target rate
(the rest would be dropped frames). Measured in one run:
  motion - motion -> ByteTrack -> counting line, at 1, 2, 4, 8, ... cameras until one level is not sustained
  yolo   - an untrained yolo11n (built offline from yolo11n.yaml) at 320 px -> ByteTrack -> line, 1 and 2 cameras
  gil    - the same motion pipeline as fast as it decodes: 2 cameras as 2 threads vs 2 processes vs 1 camera
  nanodet - the bundled pretrained NanoDet-m 416 (onnxruntime) -> ByteTrack -> line on real footage (vtest.avi,
           natively 10 fps), side by side at 1, 2, 3, 4 cameras: "batched" (one model for every camera, their frames
           gathered into one call: max_batch 8, batch_wait_ms 15, the block's defaults) and "per camera" (every camera
           its own copy of the model, each frame its own call: as before models were shared)
Memory per stream = growth of this process's RSS (psutil) with the cameras running, divided by their number; for
nanodet also the growth per camera beyond the first ((RSS at n - RSS at 1) / (n - 1), each level from its own start),
the frames per model call and the process's CPU time per processed frame (all threads: decoding, model, tracker),
which a busy machine disturbs less than frame rates. nanodet ends with one line side by side: cameras sustained
(batched / per camera, goal 2x), CPU per frame at the most cameras measured and the cameras that CPU time allows at
10 fps on the machine's cores, MB per extra camera (goal < 60).

--nanodet-extra adds modes beside them: `thread` (batched, one onnxruntime thread), `unbatched` (one shared model,
every frame its own call: max_batch 1 without a copy per camera).

Run: .venv/bin/python benchmarks/streams_capacity.py [--fps 10] [--window 8] [--parts motion,yolo,gil,nanodet]
     [--nanodet-cameras 1,2,3,4] [--nanodet-extra thread,unbatched]
(~2-3 min on 2 cores without nanodet; nanodet alone ~3 min, needs Debian's opencv-doc for vtest.avi)
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


def spec(detector: dict, source: dict | None = None, line: dict | None = None):
    return parse_spec({
        "version": 1, "meta": {"name": "bench-streams"},
        "nodes": [{"id": "src", "type": "sources/stream@v1", "config": source or {"url": "set per camera"}},
                  {"id": "det", **detector},
                  {"id": "trk", "type": "tracking/bytetrack@v1", "config": {}},
                  {"id": "line", "type": "rules/line_crossing@v1", "config": line or LINE}],
        "edges": [{"from": "src.frames", "to": "det.image"}, {"from": "det.detections", "to": "trk.detections"},
                  {"from": "trk.tracks", "to": "line.tracks"}]})


def level(detector: dict, clip: Path, n: int, window: float, out: Path, source: dict | None = None,
          sites: list[dict] | None = None, tag: str = "", line: dict | None = None) -> dict:
    """Run n cameras for `window` seconds after they all connected; per-camera processed fps, drops and memory
    (`sites`: each camera's own settings per node; with a batching detector also the frames per model call)."""
    proc = psutil.Process()
    base = proc.memory_info().rss
    cams = [CameraEntry(id=f"cam{i}", url=str(clip), site=sites[i] if sites else {}) for i in range(n)]
    server = Server(spec(detector, source, line), cams, out / f"{detector['type'].split('/')[1]}{tag}-{n}").start()
    deadline = time.monotonic() + 120
    while not all(h.frames_out > 0 for h in server.health()) and time.monotonic() < deadline:
        time.sleep(0.1)
    batcher = _batcher(server)
    calls = (batcher.batches, batcher.items) if batcher else (0, 0)
    first = [h.frames_out for h in server.health()]
    began, cpu = time.monotonic(), sum(proc.cpu_times()[:2])
    time.sleep(window)
    last, took = server.health(), time.monotonic() - began
    cpu, rss = sum(proc.cpu_times()[:2]) - cpu, proc.memory_info().rss
    per_call = (batcher.items - calls[1]) / max(1, batcher.batches - calls[0]) if batcher else 1.0
    server.stop()
    fps = [(h.frames_out - f) / took for h, f in zip(last, first, strict=True)]
    dropped = sum(h.dropped for h in last) / max(1, sum(h.frames_in for h in last))
    return {"n": n, "min_fps": min(fps), "total_fps": sum(fps), "dropped": dropped, "growth_mb": (rss - base) / 2**20,
            "mb_per_stream": (rss - base) / n / 2**20, "lag": max(h.lag_s for h in last), "per_call": per_call,
            "cpu_ms": 1000 * cpu / max(1.0, sum(fps) * took)}


def _batcher(server: Server):
    """The batcher of the first camera's detection node (None when its frames are not batched)."""
    compiled = server.runs[0].compiled
    block = next((node.block for node in compiled.nodes if node.id == "det"), None) if compiled else None
    return getattr(block, "_batcher", None)


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


VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")  # real street footage, 768x576 at 10 fps
VTEST_LINE = {"name": "walk_line", "start": [300, 0], "end": [300, 576]}
NANODET = {"type": "detection/onnx@v1", "config": {"classes": ["person", "car", "truck", "bus"]}}


def nanodet_copies(n: int, tag: str) -> list[str]:
    """n copies of the bundled NanoDet imported under their own ids: own files, so own sessions (one per camera)."""
    from workbench.models import zoo

    bundled = zoo.get_model("nanodet-m-416")
    weights = zoo.resolve_weights("nanodet-m-416")
    ids = [f"nanodet-{tag}-{k}" for k in range(n)]
    for model_id in ids:
        zoo.import_weights(weights, model_id, classes=list(bundled.classes), format="nanodet",
                           preprocess=bundled.preprocess, decoder=bundled.decoder)
    return ids


def nanodet(args: argparse.Namespace, folder: Path) -> dict[str, int]:
    """Batched (one model, frames gathered) vs one model per camera, level by level; the cameras each sustains."""
    clip = VTEST
    if args.fps != 10:
        print(f"nanodet plays vtest.avi at its own 10 fps (not {args.fps:g})")
    level(NANODET, clip, 1, 1.0, folder / "warm-up-nanodet", line=VTEST_LINE)  # the shared model loads once here
    per_camera = {**NANODET, "config": {**NANODET["config"], "max_batch": 1}}
    extra_modes = {"batched 1 thread": {**NANODET, "config": {**NANODET["config"], "threads": 1}},
                   "shared unbatched": per_camera}  # one model for every camera, each frame its own call
    names = ["batched", "per camera"] + [m for m in extra_modes if m.split()[-1] in args.nanodet_extra]
    best: dict[str, int] = {}
    growth: dict[str, dict[int, float]] = {name: {} for name in names}
    cpu_ms: dict[str, dict[int, float]] = {name: {} for name in names}
    for n in args.nanodet_cameras:
        sites = [{"det": {"model": m}} for m in nanodet_copies(n, f"l{n}")]
        modes = {"batched": (NANODET, None), "per camera": (per_camera, sites),
                 **{name: (det, None) for name, det in extra_modes.items()}}
        for name in names:
            det, site = modes[name]
            r = level(det, clip, n, args.window, folder, sites=site, tag=name.replace(" ", "-"), line=VTEST_LINE)
            ok = r["min_fps"] >= 0.95 * 10
            growth[name][n], cpu_ms[name][n] = r["growth_mb"], r["cpu_ms"]
            extra = (r["growth_mb"] - growth[name][1]) / (n - 1) if n > 1 else float("nan")
            print(f"{'nanodet ' + name:<18} {n:>4} {r['min_fps']:>8.1f} {r['total_fps']:>9.1f} {r['dropped']:>8.1%} "
                  f"{r['lag']:>9.2f} {r['mb_per_stream']:>9.1f} {extra:>8.1f} {r['per_call']:>11.2f} "
                  f"{r['cpu_ms']:>11.0f}  "
                  f"{'sustained' if ok else 'NOT sustained'}", flush=True)
            if ok and best.get(name, 0) == n - 1:
                best[name] = n
    nanodet_summary(best, growth, cpu_ms)
    return best


def nanodet_summary(best: dict[str, int], growth: dict[str, dict[int, float]],
                    cpu_ms: dict[str, dict[int, float]]) -> None:
    """Batched vs per camera side by side: cameras sustained, CPU per frame at the most cameras measured (and the
    cameras that CPU time allows on this machine's cores at 10 fps, busy or not), MB per camera beyond the first."""
    top = max(cpu_ms["batched"])
    allows = {name: (os.cpu_count() or 1) * 1000 / (ms[top] * 10) for name, ms in cpu_ms.items()}
    extra = {name: (g[top] - g[1]) / (top - 1) if top > 1 else float("nan") for name, g in growth.items()}
    got = {name: best.get(name, 0) for name in cpu_ms}
    ratio = f"{got['batched'] / got['per camera']:.2f}" if got["per camera"] else "n/a (per camera sustained none)"
    print(f"nanodet batched vs per camera: cameras sustained {got['batched']} vs {got['per camera']} "
          f"(ratio {ratio}; goal 2x); CPU per frame at {top} cameras {cpu_ms['batched'][top]:.0f} vs "
          f"{cpu_ms['per camera'][top]:.0f} ms (per camera / batched = "
          f"{cpu_ms['per camera'][top] / cpu_ms['batched'][top]:.2f}): CPU time for {allows['batched']:.1f} vs "
          f"{allows['per camera']:.1f} cameras at 10 fps on {os.cpu_count()} free cores "
          f"(ratio {allows['batched'] / allows['per camera']:.2f}); MB per extra camera {extra['batched']:.1f} vs "
          f"{extra['per camera']:.1f} (goal < 60)", flush=True)
    for name in [n for n in cpu_ms if n not in ("batched", "per camera")]:
        print(f"nanodet {name} vs batched: CPU per frame at {top} cameras {cpu_ms[name][top]:.0f} vs "
              f"{cpu_ms['batched'][top]:.0f} ms (ratio {cpu_ms['batched'][top] / cpu_ms[name][top]:.2f}); cameras "
              f"sustained {best.get(name, 0)} vs {got['batched']}; MB per extra camera {extra[name]:.1f}", flush=True)


def classic(args: argparse.Namespace, folder: Path, parts: set[str]) -> dict[str, int]:
    """motion and yolo on the synthetic traffic clip, level by level until one is not sustained."""
    clip = clip_at(args.fps, folder)
    best: dict[str, int] = {}
    for name, det, counts in (("motion", MOTION, (1, 2, 3, 4, 6, 8, 12, 16)), ("yolo", None, (1, 2, 3))):
        if name not in parts:
            continue
        if det is None:
            det = yolo_detector(folder)
            level(det, clip, 1, 1.0, folder / "warm-up-yolo")  # torch and the model code load once per process
        for n in counts:
            r = level(det, clip, n, args.window, folder)
            ok = r["min_fps"] >= 0.95 * args.fps
            print(f"{name:<18} {n:>4} {r['min_fps']:>8.1f} {r['total_fps']:>9.1f} {r['dropped']:>8.1%} "
                  f"{r['lag']:>9.2f} {r['mb_per_stream']:>9.1f}  {'sustained' if ok else 'NOT sustained'}", flush=True)
            if not ok:
                break
            best[name] = n
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fps", type=float, default=10.0, help="frame rate of every camera (the target)")
    ap.add_argument("--window", type=float, default=8.0, help="seconds measured per level")
    ap.add_argument("--parts", default="motion,yolo,gil,nanodet", help="which measurements, comma-separated")
    ap.add_argument("--nanodet-cameras", default="1,2,3,4", type=lambda v: [int(x) for x in v.split(",")],
                    help="camera counts measured for nanodet (starting at 1: memory per extra camera needs it)")
    ap.add_argument("--nanodet-extra", default="", type=lambda v: set(filter(None, v.split(","))),
                    help="more nanodet modes beside batched and per camera, comma-separated: thread (batched with one "
                         "onnxruntime thread), unbatched (one shared model, every frame its own call)")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    folder = Path(tempfile.mkdtemp(prefix="streams-capacity-"))
    level(MOTION, clip_at(args.fps, folder), 1, 1.0, folder / "warm-up")  # imports (tracker, torch): not per stream
    print(f"{os.cpu_count()} cores; cameras at {args.fps:g} fps; sustained = every camera >= 95 % of that")
    print(f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min)")
    head = ("pipeline", "cams", "min fps", "total fps", "dropped", "max lag s", "MB/stream", "MB/extra", "frames/call",
            "CPU ms/frame")
    print(f"{head[0]:<18} " + " ".join(f"{h:>{max(4, len(h))}}" for h in head[1:]))
    best = classic(args, folder, parts)
    if "nanodet" in parts:
        best |= {f"nanodet {k}": v for k, v in nanodet(args, folder).items()}
    if "gil" in parts:
        g = gil(generate("traffic", folder / "full").video, folder)  # 25 fps, 500 frames
        print(f"as fast as possible (motion): 1 camera {g['one']:.0f} fps; 2 threads {g['threads']:.0f} fps total "
              f"({g['threads'] / g['one']:.2f}x); 2 processes {g['processes']:.0f} fps total "
              f"({g['processes'] / g['one']:.2f}x, {g['process_mb']:.0f} MB RSS each); "
              f"threads/processes {g['threads'] / g['processes']:.2f}")
    print(f"capacity at {args.fps:g} fps: " + ", ".join(f"{k} {v} cameras" for k, v in best.items()))
    print(f"load after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min)")


if __name__ == "__main__":
    main()
