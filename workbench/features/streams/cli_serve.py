"""`workbench serve CAMERAS.yaml`: run one pipeline over many live cameras until Ctrl+C or SIGTERM.

The cameras file is read again on SIGHUP and, unless --no-reload, when it or its pipeline changes on disk (polled
every RELOAD_POLL_S); one line per reload says which cameras started, stopped, restarted.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from workbench.core import arg_types
from workbench.core.i18n import t

RELOAD_POLL_S = 2.0


def _report(plan: Any) -> None:
    if plan.applied:
        print(t("cli.serve.reloaded", **plan.describe()), flush=True)
        return
    print(t("cli.serve.reload_refused"), file=sys.stderr, flush=True)
    for p in plan.problems:
        print(f"  {p.where()}: {p.message()}", file=sys.stderr, flush=True)


def cmd_serve(args: argparse.Namespace) -> int:
    from workbench.features.streams.cameras import load_serve_file
    from workbench.features.streams.reload import FileWatch
    from workbench.features.streams.serve import Server

    path = Path(args.cameras)
    server = Server.from_file(load_serve_file(path), path.parent, Path(args.out) if args.out else None,
                              path=path).start()
    from workbench.features.streams import serve_jobs

    serve_id = serve_jobs.announce(server.out_root, path)  # the app's Cameras page lists (and can stop) this serve
    terminated = threading.Event()  # SIGTERM (systemd, docker stop) stops like Ctrl+C: every camera closes its files
    hangup = threading.Event()  # SIGHUP: read the cameras file again
    previous = {sig: signal.signal(sig, handler) for sig, handler in (
        (signal.SIGTERM, lambda signum, frame: terminated.set()),
        *([(signal.SIGHUP, lambda signum, frame: hangup.set())] if hasattr(signal, "SIGHUP") else []))}
    watch = None if args.no_reload else FileWatch()
    if watch is not None:
        watch.changed(server.watched_files())  # the files as they are now
    try:
        print(t("cli.serve.started", cameras=len(server.runs), out=server.out_root), flush=True)
        next_table = next_poll = time.monotonic()
        while not server.done() and not terminated.wait(0.2):
            now = time.monotonic()
            if watch is not None and now >= next_poll:
                next_poll = now + RELOAD_POLL_S
                if watch.changed(server.watched_files()):
                    hangup.set()
            if hangup.is_set():
                hangup.clear()
                _report(server.reload())
                if watch is not None:  # a pipeline file the new cameras file names: watched from now on
                    watch.changed(server.watched_files())
            every = args.every or server.health_every_s
            if not args.quiet and now >= next_table + every:
                print(server.table() + "\n", flush=True)
                next_table = now
    except KeyboardInterrupt:
        pass
    finally:
        if not server.done():
            print(t("cli.serve.stopping"), file=sys.stderr, flush=True)
        server.stop()
        for sig, handler in previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(sig, handler)
    print(server.table(), flush=True)
    failed = [run for run in server.runs if run.status == "error"]
    for run in failed:
        print(f"  {run.cam.id}: {run.error}", file=sys.stderr)
    code = 1 if failed else 0
    serve_jobs.withdraw(serve_id, code)  # ended by itself or by a stop: not a crash
    return code


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("serve", help="run one pipeline over many live cameras (a cameras YAML file) until stopped; "
                       "restarts a failed camera; reads the file again on SIGHUP or when it changes")
    p.add_argument("cameras", help="YAML: pipeline, output, restart, cameras (id, url, site settings per node)")
    p.add_argument("--out", help="output root, one folder per camera (default: the file's `output`)")
    p.add_argument("--every", type=arg_types.positive_float,
                   help="seconds between health tables (default: the file's health_every_s)")
    p.add_argument("--quiet", action="store_true", help="print the health table only at the end")
    p.add_argument("--no-reload", action="store_true",
                   help="do not watch the cameras file and the pipeline for changes (SIGHUP still reloads)")
    p.set_defaults(func=cmd_serve)
