"""Event store: ingest from 8 camera threads and the one-day one-camera query, on SQLite and on PostgreSQL.

In its own temporary workbench home, with its own PostgreSQL (tests/services/postgres.py, fsync on):
  ingest   8 camera threads hand their events to the process's store writer (records/event_writer.EventWriter: a
           helper process, bounded queue, one transaction per batch) as fast as they can, frame by frame (25 events
           per call); events/s = events / time from the writer's start until the last batch is committed.
  cameras  8 fake cameras paced at 10 fps, each frame what the motion detector does on a 320x180 frame (blur, MOG2
           background subtraction, contours, boxes; one OpenCV thread each) and 25 events every frame (2,000
           events/s in all): the mean processing time per frame of each camera with the store writer fed vs
           without it (wall, and the thread's own CPU time, which waiting for a busy machine's cores does not
           count), rounds alternated (median of --rounds each).
  query    1,000,000 events (8 cameras x 30 days) stored through the same inserts; the Events page's queries for
           one camera and one day: the count, the counts per hour and the first 1,000 events (and all of the day's
           events), best and first of 5.
Goals: >= 2,000 events/s into each database, no camera slowed by more than 2 %, the day's query under 1 s.

Run: .venv/bin/python benchmarks/event_store.py [--events 1000000] [--rounds 3] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # tests/ gives services.postgres; the checkout goes first

CAMERAS, FPS, EVENTS_PER_FRAME = 8, 10, 25  # 10 fps cameras as in benchmarks/streams_capacity.py
DAY0 = datetime(2026, 11, 1)


def camera_events(camera: int, frame: int, count: int = EVENTS_PER_FRAME) -> list:
    from workbench.core.events import Event

    when = (DAY0 + timedelta(seconds=frame / FPS)).isoformat()
    return [Event(time=when, pts=frame / FPS, frame=frame, node="count_line", type="line_crossing",
                  track_id=frame * count + i, class_name=("car", "bus", "truck", "person")[i % 4], region="count_line",
                  direction="in", confidence=0.8, bbox=(10.0, 20.0, 110.0, 90.0), trajectory=((1.0, 2.0),) * 8,
                  source=f"cam-{camera}") for i in range(count)]


def ingest_rate(url: str, per_camera: int) -> dict:
    """8 threads hand over `per_camera` events each as fast as they can; events/s until all are committed."""
    from workbench.records.database import open_database
    from workbench.records.event_store import EventSource
    from workbench.records.event_writer import EventWriter

    open_database(url)
    writer = EventWriter(url, capacity=CAMERAS * per_camera + 1)
    frames = [[camera_events(c, f) for f in range(per_camera // EVENTS_PER_FRAME)] for c in range(CAMERAS)]

    def camera(c: int) -> None:
        source = EventSource(id=f"bench-ingest/cam-{c}", camera=f"cam-{c}")
        for f, events in enumerate(frames[c]):
            writer.put(source, f * EVENTS_PER_FRAME, events)

    began = time.perf_counter()
    threads = [threading.Thread(target=camera, args=(c,)) for c in range(CAMERAS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close(timeout=600)
    seconds = time.perf_counter() - began
    return {"events": writer.stats.written, "seconds": seconds, "events_per_s": writer.stats.written / seconds,
            "failed": writer.stats.failed, "dropped": writer.stats.dropped}


def fake_camera(c: int, seconds: float, writer, round_id: str, times: list[float], cpu: list[float],
                per_frame: int = EVENTS_PER_FRAME) -> None:
    """A camera at FPS frames/s: OpenCV work on a frame, then its events handed to `writer` (None: no store)."""
    import cv2
    import numpy as np

    from workbench.records.event_store import EventSource

    cv2.setNumThreads(1)  # one core's share per camera, as in serve's threads
    rng = np.random.default_rng(c)
    images = [rng.integers(0, 255, (180, 320, 3), dtype=np.uint8) for _ in range(4)]
    subtractor = cv2.createBackgroundSubtractorMOG2(history=500, detectShadows=False)
    source = EventSource(id=f"bench-cameras/{round_id}/cam-{c}", camera=f"cam-{c}")
    frames = int(seconds * FPS)
    start = time.perf_counter()
    for frame in range(frames):
        began, began_cpu = time.perf_counter(), time.thread_time()
        moving = subtractor.apply(cv2.GaussianBlur(images[frame % 4], (5, 5), 0))  # as detection/motion does
        contours, _ = cv2.findContours(moving, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        sorted((cv2.boundingRect(c) for c in contours[:200]), key=lambda b: b[2] * b[3])
        events = camera_events(c, frame, per_frame)
        if writer is not None:
            writer.put(source, frame * per_frame, events)
        times.append(time.perf_counter() - began)
        cpu.append(time.thread_time() - began_cpu)
        pause = start + (frame + 1) / FPS - time.perf_counter()
        if pause > 0:
            time.sleep(pause)


def camera_slowdown(url: str, rounds: int, seconds: float, per_frame: int = EVENTS_PER_FRAME) -> dict:
    """Mean frame time per camera with and without the store, rounds alternated; medians over rounds."""
    from workbench.records.event_writer import EventWriter

    with_store: list[list[float]] = [[] for _ in range(CAMERAS)]
    without: list[list[float]] = [[] for _ in range(CAMERAS)]
    cpu_with: list[list[float]] = [[] for _ in range(CAMERAS)]
    cpu_without: list[list[float]] = [[] for _ in range(CAMERAS)]
    writer = EventWriter(url)
    dropped = 0
    for r in range(rounds):
        for store in ((True, False) if r % 2 == 0 else (False, True)):
            times: list[list[float]] = [[] for _ in range(CAMERAS)]
            cpu: list[list[float]] = [[] for _ in range(CAMERAS)]
            threads = [threading.Thread(target=fake_camera, args=(c, seconds, writer if store else None,
                                                                  f"r{r}", times[c], cpu[c], per_frame))
                       for c in range(CAMERAS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if store:
                writer.flush(600)
            for c in range(CAMERAS):
                (with_store if store else without)[c].append(statistics.fmean(times[c]) * 1000)
                (cpu_with if store else cpu_without)[c].append(statistics.fmean(cpu[c]) * 1000)
    writer.close()
    dropped = writer.stats.dropped + writer.stats.failed
    per_camera = [(statistics.median(w), statistics.median(o)) for w, o in zip(with_store, without, strict=True)]
    per_camera_cpu = [(statistics.median(w), statistics.median(o)) for w, o in zip(cpu_with, cpu_without, strict=True)]
    return {"per_camera_ms": per_camera, "cpu_worst": max(w / o - 1 for w, o in per_camera_cpu),
            "cpu_mean": statistics.fmean(w / o - 1 for w, o in per_camera_cpu),
            "cpu_ms": statistics.fmean(o for _, o in per_camera_cpu),
            "worst_slowdown": max(w / o - 1 for w, o in per_camera),
            "mean_slowdown": statistics.fmean(w / o - 1 for w, o in per_camera), "lost": dropped,
            "events_per_s": CAMERAS * FPS * per_frame}


def fill(url: str, total: int, days: int = 30) -> float:
    """Store `total` events over CAMERAS cameras and `days` days (evenly spread); seconds taken."""
    from workbench.records.database import open_database
    from workbench.records.event_store import EventSource, event_row, insert_rows

    engine = open_database(url)
    per_camera = total // CAMERAS
    step = days * 86400 / per_camera
    began = time.perf_counter()
    chunk = 5000
    for c in range(CAMERAS):
        source = EventSource(id=f"bench-fill/cam-{c}", camera=f"cam-{c}", site="bench", pipeline="bench")
        for start in range(0, per_camera, chunk):
            rows = [event_row(source, i, {"time": (DAY0 + timedelta(seconds=i * step)).isoformat(), "frame": i,
                                          "pts": i * step, "node": "count_line", "type": "line_crossing",
                                          "class_name": ("car", "bus", "truck", "person")[i % 4], "track_id": i,
                                          "direction": "in", "bbox": [10.0, 20.0, 110.0, 90.0]})
                    for i in range(start, min(start + chunk, per_camera))]
            insert_rows(engine, rows)
    return time.perf_counter() - began


def day_query(url: str, repeat: int = 5) -> dict:
    """The Events page's queries for one camera and one day; first and best of `repeat`."""
    from workbench.records.database import open_database
    from workbench.records.event_store import EventQuery, count_events, counts_by_hour, find_events, to_utc

    engine = open_database(url)
    day = DAY0 + timedelta(days=17)
    query = EventQuery(since=to_utc(day), until=to_utc(day + timedelta(days=1)), camera="cam-3")
    page, whole = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        total = count_events(engine, query)
        hours = counts_by_hour(engine, query)
        first = find_events(engine, query, limit=1000)
        page.append(time.perf_counter() - began)
        began = time.perf_counter()
        everything = find_events(engine, query, limit=None)
        whole.append(time.perf_counter() - began)
    assert len(first) == min(1000, total) and len(everything) == total and len(hours) in (24, 25), (total, len(hours))
    return {"events_that_day": total, "page_first_s": page[0], "page_best_s": min(page), "all_first_s": whole[0],
            "all_best_s": min(whole)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events stored for the query")
    parser.add_argument("--ingest", type=int, default=5_000, help="events per camera thread in the ingest test")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each camera round")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--per-frame", type=int, default=EVENTS_PER_FRAME, help="events per camera frame")
    parser.add_argument("--cameras-only", action="store_true", help="only the camera frame-time comparison")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-events-"))
    os.environ["WORKBENCH_HOME"] = str(work / "home")
    from contextlib import ExitStack

    from services.postgres import postgres

    with ExitStack() as stack:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                urls = [f"sqlite:///{work / name}.db" for name in ("ingest", "cameras", "query")]
            else:
                pg = stack.enter_context(postgres(work / "postgres", durable=True))
                urls = [pg.create_database(name) for name in ("ingest", "cameras", "query")]
            if args.cameras_only:
                slow = camera_slowdown(urls[1], args.rounds, args.seconds, args.per_frame)
                print(f"{backend}: {slow}", flush=True)
                continue
            rate = ingest_rate(urls[0], args.ingest)
            print(f"{backend}: ingest from {CAMERAS} threads: {rate['events']} events in {rate['seconds']:.1f} s = "
                  f"{rate['events_per_s']:.0f} events/s (goal >= 2000); failed {rate['failed']}, "
                  f"dropped {rate['dropped']}", flush=True)
            slow = camera_slowdown(urls[1], args.rounds, args.seconds, args.per_frame)
            cams = ", ".join(f"{w:.2f}/{o:.2f}" for w, o in slow["per_camera_ms"])
            print(f"{backend}: {CAMERAS} cameras at {FPS} fps, {slow['events_per_s']} events/s in all: frame ms with/"
                  f"without store {cams}; worst {slow['worst_slowdown'] * 100:+.1f} %, mean "
                  f"{slow['mean_slowdown'] * 100:+.1f} % (goal <= 2 %); CPU time per frame (the thread's own, "
                  f"{slow['cpu_ms']:.2f} ms without): worst {slow['cpu_worst'] * 100:+.1f} %, mean "
                  f"{slow['cpu_mean'] * 100:+.1f} %; events not stored {slow['lost']}; load average "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
            filled = fill(urls[2], args.events)
            print(f"{backend}: {args.events} events stored in {filled:.0f} s ({args.events / filled:.0f}/s)",
                  flush=True)
            q = day_query(urls[2])
            print(f"{backend}: one camera, one day ({q['events_that_day']} events): count + per hour + first 1000 "
                  f"{q['page_first_s'] * 1000:.0f} ms first, {q['page_best_s'] * 1000:.0f} ms best; all of them "
                  f"{q['all_first_s'] * 1000:.0f} / {q['all_best_s'] * 1000:.0f} ms (goal < 1 s)", flush=True)
            from workbench.records.database import forget_engines

            forget_engines()


if __name__ == "__main__":
    main()
