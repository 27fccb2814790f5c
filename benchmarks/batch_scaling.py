"""Batch scaling: 8 clips through one pipeline, `workbench batch` on a local Ray with 2 workers vs one process
running them one after another. Both in the same run, each in a fresh process (imports included), order rotated.

Prints wall times, the ratio sequential / Ray (goal >= 1.8 on 2 cores), the same Ray batch without the per-task
thread cap (WORKBENCH_TASK_THREADS=0), CPU seconds of each, peak memory, and what
the Ray run spent besides clip work: Ray start-up, worker start-up + imports (a probe: two tasks that only load the
pipeline), and the first clip on each worker vs the others.

Run: .venv/bin/python benchmarks/batch_scaling.py [--clips 8] [--seconds 20] [--repeat 1] [--pipeline P]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
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
t0 = time.perf_counter()
with ray_session(None, 2) as ray:
    t1 = time.perf_counter()
    @ray.remote(num_cpus=1, scheduling_strategy="SPREAD")
    def load(path):
        began = time.perf_counter()
        from workbench.engine.graph import compile_pipeline
        from workbench.engine.spec import load_spec
        compile_pipeline(load_spec(path))
        time.sleep(0.5)  # keep the worker busy so that the second task needs the second worker
        return os.getpid(), time.perf_counter() - began - 0.5
    done = ray.get([load.remote(sys.argv[1]) for _ in range(2)])
    t2 = time.perf_counter()
print(json.dumps({"ray_init_s": t1 - t0, "two_workers_ready_s": t2 - t1 - 0.5,
                  "imports_in_task_s": [d[1] for d in done], "pids": len({d[0] for d in done})}))
"""


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


def timed(cmd: list[str], env: dict[str, str]) -> dict:
    """Wall time, CPU seconds and peak RSS of the whole process tree (Ray's raylet and workers included), sampled
    every 0.2 s (a process living less than that between samples is missed)."""
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, cpu = [0], {}

    def sample() -> None:
        ps = psutil.Process(proc.pid)
        while proc.poll() is None:
            peak[0] = max(peak[0], _sample_tree(ps, cpu))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - began
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed ({proc.returncode}):\n{err[-3000:]}")
    return {"wall": wall, "cpu": sum(cpu.values()), "peak_mib": peak[0] / 2**20, "stdout": out}


def run_sequential(pipeline: Path, clips: list[Path], out: Path, env: dict[str, str]) -> dict:
    res = timed([sys.executable, "-c", SEQUENTIAL, str(pipeline), str(out), *map(str, clips)], env)
    res.update(json.loads(res.pop("stdout").strip().splitlines()[-1]))
    return res


def run_ray(pipeline: Path, clips: list[Path], out: Path, env: dict[str, str]) -> dict:
    res = timed([sys.executable, "-m", "workbench.features.batch", str(pipeline), *map(str, clips), "--out", str(out),
                 "--workers", "2", "--retries", "0", "--quiet"], env)
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each synthetic traffic clip")
    ap.add_argument("--repeat", type=int, default=1, help="rounds (sequential and Ray alternate; best of each)")
    ap.add_argument("--pipeline", type=Path, default=PIPELINE)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="wbb-"))  # short: Ray's socket paths live under TMPDIR
    env = {**os.environ, "TMPDIR": str(work), "WORKBENCH_HOME": str(work / "home"), "YOLO_OFFLINE": "1",
           "YOLO_AUTOINSTALL": "0"}
    try:
        t = time.perf_counter()
        clips = make_clips(work / "clips", args.clips, args.seconds)
        print(f"{len(clips)} clips of {args.seconds:.0f} s generated in {time.perf_counter() - t:.1f} s; "
              f"pipeline {args.pipeline.name}; {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}", flush=True)
        seq_runs, ray_runs, free_runs = [], [], []
        modes = ("seq", "ray", "free")
        for r in range(args.repeat):
            for mode in modes[r % 3:] + modes[:r % 3]:  # the order rotates between rounds
                out = work / f"{mode}{r}"
                if mode == "seq":
                    seq_runs.append(run_sequential(args.pipeline, clips, out, env))
                    s = seq_runs[-1]
                    print(f"  sequential: {s['wall']:.1f} s wall, {s['cpu']:.1f} s CPU, peak {s['peak_mib']:.0f} MiB"
                          f" (imports {s['import_s']:.1f} s, clips {sum(s['per_clip']):.1f} s)", flush=True)
                else:  # free: the libraries' own thread pools in every task (no WORKBENCH_TASK_THREADS cap)
                    runs = ray_runs if mode == "ray" else free_runs
                    runs.append(run_ray(args.pipeline, clips, out,
                                        env if mode == "ray" else {**env, "WORKBENCH_TASK_THREADS": "0"}))
                    s = runs[-1]
                    print(f"  ray x2{' (threads not capped)' if mode == 'free' else ''}: {s['wall']:.1f} s wall, "
                          f"{s['cpu']:.1f} s CPU, peak {s['peak_mib']:.0f} MiB (per worker "
                          f"{list(s['per_worker_s'].values())} s of clip work)", flush=True)
                shutil.rmtree(out, ignore_errors=True)
        probe = json.loads(timed([sys.executable, "-c", PROBE, str(args.pipeline)], env)["stdout"].splitlines()[-1])
        seq, ray_ = min(seq_runs, key=lambda s: s["wall"]), min(ray_runs, key=lambda s: s["wall"])
        frames = ray_["frames"]
        print(f"\nsequential (one process): {seq['wall']:.1f} s, {frames / seq['wall']:.0f} fps overall")
        print(f"Ray, 2 workers:           {ray_['wall']:.1f} s, {frames / ray_['wall']:.0f} fps overall")
        print(f"ratio sequential / Ray = {seq['wall'] / ray_['wall']:.2f} (goal >= 1.8 on 2 cores)")
        free = min(free_runs, key=lambda s: s["wall"])
        print(f"Ray with the libraries' own thread pools per task: {free['wall']:.1f} s, ratio "
              f"{seq['wall'] / free['wall']:.2f} (the default caps OpenCV/torch to the task's CPUs)")
        print(f"CPU seconds: sequential {seq['cpu']:.1f}, Ray {ray_['cpu']:.1f} "
              f"(Ray's extra {ray_['cpu'] - seq['cpu']:.1f} s: start-up, a second set of imports, raylet/GCS)")
        print(f"cores busy on average (CPU / wall): sequential {seq['cpu'] / seq['wall']:.2f}, "
              f"Ray {ray_['cpu'] / ray_['wall']:.2f} of {os.cpu_count()}")
        print(f"peak memory: sequential {seq['peak_mib']:.0f} MiB, Ray {ray_['peak_mib']:.0f} MiB")
        print(f"Ray start-up (ray.init): {probe['ray_init_s']:.1f} s; two workers started and the pipeline loaded: "
              f"{probe['two_workers_ready_s']:.1f} s (imports inside the task "
              f"{', '.join(f'{x:.1f}' for x in probe['imports_in_task_s'])} s)")
        print(f"first clip per worker {', '.join(f'{x:.1f}' for x in ray_['first_clip_s'])} s vs median of the "
              f"others {ray_['other_clips_median_s']:.1f} s; sequential per clip median "
              f"{statistics.median(seq['per_clip']):.1f} s")
        fixed = probe["ray_init_s"] + probe["two_workers_ready_s"]
        work_s = sum(seq["per_clip"])
        print(f"model for an otherwise idle machine: Ray ~ {fixed:.1f} s fixed + {work_s:.1f} / 2 s of clip work "
              f"= {fixed + work_s / 2:.1f} s -> ratio {seq['wall'] / (fixed + work_s / 2):.2f}; "
              f"1.8 needs >= {max(0.0, (1.8 * fixed - (seq['wall'] - work_s)) / 0.1):.0f} s of sequential clip work")
        print(f"load average after the run: {os.getloadavg()[0]:.2f} (other work on the machine skews the ratio)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
