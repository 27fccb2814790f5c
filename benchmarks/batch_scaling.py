"""Batch scaling: 8 clips through one pipeline, `workbench batch` on a local Ray with 2 workers (actors that load the
pipeline once each) vs one process running them one after another. Both in the same run, each in a fresh process
(imports included), order rotated.

Prints wall times, the ratio sequential / Ray (goal >= 1.8 on 2 cores), the same Ray batch without the per-worker
thread cap (WORKBENCH_TASK_THREADS=0), CPU seconds of each, peak memory, how many cores other processes on the
machine used during each run (the machine is shared: that skews the ratio), and what the Ray run spent besides clip
work: Ray start-up, two workers started (imports), the pipeline loaded and one frame run in each (a probe), and the
first clip on each worker vs the others.

Run: .venv/bin/python benchmarks/batch_scaling.py [--clips 8] [--seconds 20] [--repeat 1] [--pipeline P]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import multiprocessing
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
PIPELINE = REPO / "pipelines" / "vehicle_count_line.yaml"

SEQUENTIAL = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from workbench.engine.runner import RunOptions, run_pipeline
from workbench.engine.spec import load_spec
spec = load_spec(sys.argv[1])
t1 = time.perf_counter()
per_clip = []
for i, clip in enumerate(sys.argv[3:]):
    began = time.perf_counter()
    run_pipeline(spec, RunOptions(out_dir=Path(sys.argv[2]) / str(i), source=clip))
    per_clip.append(time.perf_counter() - began)
print(json.dumps({"import_s": t1 - t0, "per_clip": per_clip}))
"""

PROBE = """
import json, os, sys, time
from workbench.features.batch.cluster import ray_session
from workbench.features.batch.task import CHECK_FILE, ClipWorker
from workbench.engine.spec import load_spec
t0 = time.perf_counter()
with ray_session(None, 2) as ray:
    t1 = time.perf_counter()
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    open(os.path.join(out, CHECK_FILE), "w").write("probe")
    worker = ray.remote(ClipWorker).options(num_cpus=1, scheduling_strategy="SPREAD")
    actors = [worker.remote(load_spec(sys.argv[1]).to_dict(), out, None, 1) for _ in range(2)]
    ray.get([a.check.remote("probe") for a in actors])
    t2 = time.perf_counter()
    done = ray.get([a.run.remote(sys.argv[3], f"probe{i}") for i, a in enumerate(actors)])  # one frame each
    t3 = time.perf_counter()
print(json.dumps({"ray_init_s": t1 - t0, "two_workers_ready_s": t2 - t1, "first_frame_s": t3 - t2,
                  "load_in_worker_s": [d["seconds"] for d in done], "pids": len({d["pid"] for d in done})}))
"""


def _spin(seconds: float) -> int:
    """Count as far as possible for `seconds` (one core's worth of pure CPU work)."""
    end, n = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        n += 1
    return n


def parallel_capacity(seconds: float = 1.5) -> float:
    """How many cores' worth of work two busy processes get done now, relative to one alone (2.0 on two free cores;
    lower when other work on the machine, or on the host under this VM, takes CPU time)."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        pool.map(_spin, [0.05, 0.05])  # both started
        one = pool.apply(_spin, (seconds,))
        two = pool.map(_spin, [seconds, seconds])
    return sum(two) / max(one, 1)


def _free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.add(sock.getsockname()[1])
    return sorted(ports)


@contextlib.contextmanager
def standing_ray(folder: Path, env: dict[str, str]) -> Iterator[tuple[str, dict[str, str], int]]:
    """A local Ray started before the batch and left running, as a deployment keeps its Ray head: `ray start --head
    --num-cpus 2 --block` in its own process group on free ports (stopped by that group, never `ray stop`), workers
    at normal priority."""
    folder.mkdir(parents=True, exist_ok=True)
    token = folder / "auth_token"
    token.write_text(secrets.token_hex(32), encoding="utf-8")
    env = {**env, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token), "RAY_USAGE_STATS_ENABLED": "0",
           "RAY_worker_niceness": "0"}  # as `workbench batch` starts its own Ray (Ray's default: workers at nice 15)
    port, *more = _free_ports(8)
    names = ("--dashboard-port", "--node-manager-port", "--object-manager-port", "--dashboard-agent-listen-port",
             "--dashboard-agent-grpc-port", "--runtime-env-agent-port", "--metrics-export-port")
    cmd = [str(Path(sys.executable).parent / "ray"), "start", "--head", "--port", str(port), "--num-cpus", "2",
           "--node-ip-address", "127.0.0.1", "--include-dashboard", "false", "--disable-usage-stats",
           "--temp-dir", str(folder / "t"), "--block",
           *[arg for name, p in zip(names, more, strict=True) for arg in (name, str(p))]]
    with open(folder / "ray.log", "wb") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not _node_alive(env, port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ray start failed: {(folder / 'ray.log').read_text(errors='replace')[-2000:]}")
            time.sleep(1)
        yield f"127.0.0.1:{port}", env, proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
            os.kill(proc.pid, signal.SIGTERM)  # `ray start --block` stops its own processes
            proc.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def _node_alive(env: dict[str, str], port: int) -> bool:
    code = f"import ray; ray.init(address='127.0.0.1:{port}', log_to_driver=False); print(len(ray.nodes()))"
    try:
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def make_clips(folder: Path, count: int, seconds: float) -> list[Path]:
    from workbench.features.synth import generate, get

    scenario = dataclasses.replace(get("traffic"), duration=seconds)
    return [generate(scenario, folder, seed=s).video for s in range(count)]


def _sample_tree(proc: psutil.Process, cpu: dict[int, float]) -> int:
    """RSS of the whole process tree now; `cpu` keeps the latest CPU seconds of every process seen in it."""
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
            times = p.cpu_times()
            cpu[p.pid] = times.user + times.system
    return total


def _busy_cpu_s() -> float:
    """CPU seconds the whole machine has been busy since boot (every process, kernel included)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def timed(cmd: list[str], env: dict[str, str], also: int | None = None) -> dict:
    """Wall time, CPU seconds and peak RSS of the whole process tree (Ray's raylet and workers included; `also`: the
    tree of a standing Ray too), sampled every 0.2 s (a process living less than that between samples is missed),
    and `others`: cores busy on average with everything else on the machine meanwhile."""
    began, busy = time.perf_counter(), _busy_cpu_s()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, cpu = [0], {}
    before: dict[int, float] = {}
    if also is not None:  # what the standing Ray used before this run is not this run's
        _sample_tree(psutil.Process(also), before)

    def sample() -> None:
        roots = [psutil.Process(proc.pid)] + ([psutil.Process(also)] if also is not None else [])
        while proc.poll() is None:
            peak[0] = max(peak[0], sum(_sample_tree(ps, cpu) for ps in roots))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - began
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed ({proc.returncode}):\n{err[-3000:]}")
    ours = sum(cpu.values()) - sum(before.get(pid, 0.0) for pid in cpu)
    return {"wall": wall, "cpu": ours, "peak_mib": peak[0] / 2**20, "stdout": out,
            "others": max(0.0, _busy_cpu_s() - busy - ours) / wall}


def run_sequential(pipeline: Path, clips: list[Path], out: Path, env: dict[str, str]) -> dict:
    res = timed([sys.executable, "-c", SEQUENTIAL, str(pipeline), str(out), *map(str, clips)], env)
    res.update(json.loads(res.pop("stdout").strip().splitlines()[-1]))
    return res


def run_ray(pipeline: Path, clips: list[Path], out: Path, env: dict[str, str], extra: list[str],
            also: int | None = None) -> dict:
    res = timed([sys.executable, "-m", "workbench.features.batch", str(pipeline), *map(str, clips), "--out", str(out),
                 "--workers", "2", "--retries", "0", "--quiet", *extra], env, also)
    res.pop("stdout")
    summary = json.loads((out / "batch_summary.json").read_text(encoding="utf-8"))
    assert summary["totals"].get("done") == len(clips), summary["totals"]
    by_pid: dict[int, list[float]] = {}
    for c in summary["clips"]:  # in order of completion per worker is not recorded; first submitted ~ first run
        by_pid.setdefault(c["pid"], []).append(c["seconds"])
    res["per_worker_s"] = {pid: round(sum(s), 2) for pid, s in by_pid.items()}
    res["first_clip_s"] = [s[0] for s in by_pid.values()]
    res["other_clips_median_s"] = statistics.median([x for s in by_pid.values() for x in s[1:]] or [0.0])
    res["frames"] = summary["totals"]["frames"]
    return res


LABELS = {"seq": "sequential (one process)", "ray": "Ray x2 (workbench batch: its own local Ray)",
          "standing": "Ray x2 on a standing local Ray (--ray-address)",
          "uncapped": "Ray x2, threads not capped (WORKBENCH_TASK_THREADS=0)"}


def run_mode(mode: str, args: argparse.Namespace, clips: list[Path], out: Path, env: dict[str, str],
             standing: tuple[str, dict[str, str], int] | None) -> dict:
    """One run of one mode, printed as it finishes."""
    if mode == "seq":
        s = run_sequential(args.pipeline, clips, out, env)
        detail = f"imports {s['import_s']:.1f} s, clips {sum(s['per_clip']):.1f} s"
    else:
        address, run_env, also = standing or ("", env, None)
        s = run_ray(args.pipeline, clips, out, {**run_env, "WORKBENCH_TASK_THREADS": "0"} if mode == "uncapped"
                    else run_env, ["--ray-address", address] if address else [], also)
        detail = f"per worker {list(s['per_worker_s'].values())} s of clip work"
    print(f"  {LABELS[mode]}: {s['wall']:.1f} s wall, {s['cpu']:.1f} s CPU, peak {s['peak_mib']:.0f} MiB ({detail}); "
          f"other processes {s['others']:.2f} cores", flush=True)
    return s


def report(runs: dict[str, list[dict]], probe: dict) -> None:
    """The best run of each mode side by side, the ratios, and where the Ray run's time went."""
    best = {mode: min(found, key=lambda s: s["wall"]) for mode, found in runs.items() if found}
    seq, ray_ = best["seq"], best["ray"]
    frames = ray_["frames"]
    print()
    for mode, s in best.items():
        ratio = f"ratio {seq['wall'] / s['wall']:.2f}" if mode != "seq" else "1.00"
        print(f"{LABELS[mode]:<52} {s['wall']:6.1f} s  {frames / s['wall']:4.0f} fps  {ratio}  "
              f"(other processes {s['others']:.2f} cores)")
    print(f"ratio sequential / Ray = {seq['wall'] / ray_['wall']:.2f} (goal >= 1.8 on 2 cores)")
    print(f"CPU seconds: sequential {seq['cpu']:.1f}, Ray {ray_['cpu']:.1f} "
          f"(Ray's extra {ray_['cpu'] - seq['cpu']:.1f} s: start-up, a second set of imports, raylet/GCS)")
    print(f"cores busy on average (CPU / wall): sequential {seq['cpu'] / seq['wall']:.2f}, "
          f"Ray {ray_['cpu'] / ray_['wall']:.2f} of {os.cpu_count()}")
    cores = os.cpu_count() or 1
    print(f"from CPU seconds alone (least disturbed by a busy machine): Ray's CPU work spread over {cores} free cores "
          f"vs the sequential run's on one = {cores * seq['cpu'] / ray_['cpu']:.2f} at best (Ray's own start-up "
          f"latency and a sequential process's extra threads lower it)")
    print(f"peak memory: sequential {seq['peak_mib']:.0f} MiB, Ray {ray_['peak_mib']:.0f} MiB")
    print(f"Ray start-up (ray.init): {probe['ray_init_s']:.1f} s; two workers started: "
          f"{probe['two_workers_ready_s']:.1f} s; then the pipeline loaded and one frame run in each: "
          f"{probe['first_frame_s']:.1f} s ({', '.join(f'{x:.1f}' for x in probe['load_in_worker_s'])} s inside)")
    print(f"first clip per worker {', '.join(f'{x:.1f}' for x in ray_['first_clip_s'])} s vs median of the "
          f"others {ray_['other_clips_median_s']:.1f} s; sequential per clip median "
          f"{statistics.median(seq['per_clip']):.1f} s")
    fixed = probe["ray_init_s"] + probe["two_workers_ready_s"] + probe["first_frame_s"]
    work_s = sum(seq["per_clip"])
    print(f"model for an otherwise idle machine: Ray ~ {fixed:.1f} s fixed + {work_s:.1f} / 2 s of clip work "
          f"= {fixed + work_s / 2:.1f} s -> ratio {seq['wall'] / (fixed + work_s / 2):.2f}; "
          f"1.8 needs >= {max(0.0, (1.8 * fixed - (seq['wall'] - work_s)) / 0.1):.0f} s of sequential clip work")
    print(f"load average after the run: {', '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min); "
          f"two busy processes now get {parallel_capacity():.2f}x the work of one done (2.00 = two free cores)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each synthetic traffic clip")
    ap.add_argument("--repeat", type=int, default=1, help="rounds (the modes alternate, order rotated; best of each)")
    ap.add_argument("--pipeline", type=Path, default=PIPELINE)
    ap.add_argument("--no-standing", action="store_true", help="skip the run on a standing local Ray")
    ap.add_argument("--uncapped", action="store_true", help="also run Ray without the per-worker thread cap")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="wbb-"))  # short: Ray's socket paths live under TMPDIR
    env = {**os.environ, "TMPDIR": str(work), "WORKBENCH_HOME": str(work / "home"), "YOLO_OFFLINE": "1",
           "YOLO_AUTOINSTALL": "0"}
    modes = ["seq", "ray"] + ([] if args.no_standing else ["standing"]) + (["uncapped"] if args.uncapped else [])
    try:
        t = time.perf_counter()
        clips = make_clips(work / "clips", args.clips, args.seconds)
        print(f"{len(clips)} clips of {args.seconds:.0f} s generated in {time.perf_counter() - t:.1f} s; "
              f"pipeline {args.pipeline.name}; {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}; two busy "
              f"processes get {parallel_capacity():.2f}x the work of one done", flush=True)
        runs: dict[str, list[dict]] = {m: [] for m in modes}
        for r in range(args.repeat):
            for mode in modes[r % len(modes):] + modes[:r % len(modes)]:  # the order rotates between rounds
                with contextlib.ExitStack() as stack:  # a standing Ray runs only during its own runs (not measured)
                    standing = stack.enter_context(standing_ray(work / f"standing{r}", env)) \
                        if mode == "standing" else None
                    runs[mode].append(run_mode(mode, args, clips, work / f"{mode}{r}", env, standing))
                shutil.rmtree(work / f"{mode}{r}", ignore_errors=True)
        probe = json.loads(timed([sys.executable, "-c", PROBE, str(args.pipeline), str(work / "probe"), str(clips[0])],
                                 env)["stdout"].splitlines()[-1])
        report(runs, probe)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
