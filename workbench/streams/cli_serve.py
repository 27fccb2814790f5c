"""`workbench serve CAMERAS.yaml`: run one pipeline over many live cameras until Ctrl+C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from workbench.i18n import t


def cmd_serve(args: argparse.Namespace) -> int:
    from workbench.streams.cameras import load_serve_file
    from workbench.streams.serve import Server

    path = Path(args.cameras)
    file = load_serve_file(path)
    server = Server.from_file(file, path.parent, Path(args.out) if args.out else None).start()
    every = args.every or file.health_every_s
    terminated = threading.Event()  # SIGTERM (systemd, docker stop) stops like Ctrl+C: every camera closes its files
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: terminated.set())
    try:
        print(t("cli.serve.started", cameras=len(server.runs), out=server.out_root), flush=True)
        next_table = time.monotonic() + every
        while not server.done() and not terminated.wait(0.2):
            if not args.quiet and time.monotonic() >= next_table:
                print(server.table() + "\n", flush=True)
                next_table += every
    except KeyboardInterrupt:
        pass
    finally:
        if not server.done():
            print(t("cli.serve.stopping"), file=sys.stderr, flush=True)
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    print(server.table(), flush=True)
    failed = [run for run in server.runs if run.status == "error"]
    for run in failed:
        print(f"  {run.cam.id}: {run.error}", file=sys.stderr)
    return 1 if failed else 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("serve", help="run one pipeline over many live cameras (a cameras YAML file) until stopped")
    p.add_argument("cameras", help="YAML: pipeline, output, cameras (id, url, optional site settings per node)")
    p.add_argument("--out", help="output root, one folder per camera (default: the file's `output`)")
    p.add_argument("--every", type=float, help="seconds between health tables (default: the file's health_every_s)")
    p.add_argument("--quiet", action="store_true", help="print the health table only at the end")
    p.set_defaults(func=cmd_serve)
