"""A separate process that uses a registry store, for the contract tests (racing writers, a killed upload).

    python store_worker.py '<store spec json>' race       reads "KEY START_TIME" lines; at START_TIME it calls
                                                          put_bytes_if_absent(KEY, its own bytes), prints True/False
    python store_worker.py '<store spec json>' put KEY FILE PAUSE_AT
                                                          put_file with progress lines; once PAUSE_AT bytes are
                                                          done it prints "paused" and blocks (to be SIGKILLed)
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

from workbench.features.sharing.local_store import LocalStore
from workbench.features.sharing.s3_store import S3Store


def open_spec(spec: dict):
    """The store a JSON spec describes: {"kind": "local", "root": ...} or {"kind": "s3", ...S3Store arguments}."""
    args = {k: v for k, v in spec.items() if k not in ("kind", "resumes")}
    return LocalStore(**args) if spec["kind"] == "local" else S3Store(**args)


def race(store) -> None:
    print("ready", flush=True)
    for line in sys.stdin:
        key, start = line.split()
        time.sleep(max(0.0, float(start) - time.time()))
        print(store.put_bytes_if_absent(key, f"writer {os.getpid()}".encode()), flush=True)


def put(store, key: str, path: str, pause_at: int) -> None:
    def progress(done: int, total: int) -> None:
        print(f"progress {done} {total}", flush=True)
        if done >= pause_at:
            print("paused", flush=True)
            threading.Event().wait()  # until SIGKILL

    store.put_file(key, Path(path), progress)
    print("finished", flush=True)


if __name__ == "__main__":
    worker_store = open_spec(json.loads(sys.argv[1]))
    if sys.argv[2] == "race":
        race(worker_store)
    else:
        put(worker_store, sys.argv[3], sys.argv[4], int(sys.argv[5]))
