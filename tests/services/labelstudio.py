"""A real Label Studio server for tests: its own venv (<repo>/.venv-labelstudio), data in a tmp dir, a free port.

    from services.labelstudio import labelstudio_server
    with labelstudio_server(tmp_path / "home", document_root=tmp_path / "root") as ls:   # ls.url, ls.token
        ...

It is started exactly as `workbench labelstudio start` does (workbench.features.labeling.server.start: offline env,
loopback,
token bootstrap), with its data and secrets in `<workbench_home>/labelstudio`; point WORKBENCH_HOME at
`ls.workbench_home` and clients find it with no settings. The venv is created (python -m venv + pip install
label-studio) when missing: ~2.5 min once, then reused. The first start of a fresh database takes 40-110 s on 2
cores. A busy port would make Label Studio silently move to the next one: `start` refuses a busy port and
`wait_ready` stops a server that moved; the fixture then retries on another free port.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from workbench.core.errors import WorkbenchError
from workbench.features.labeling import server as ls_server

REPO = Path(__file__).resolve().parents[2]
TEST_VENV = REPO / ".venv-labelstudio"


@dataclass(frozen=True)
class RunningLabelStudio:
    url: str
    token: str
    port: int
    workbench_home: Path
    document_root: Path
    log_file: Path
    install_seconds: float
    start_seconds: float


@contextmanager
def labelstudio_server(workbench_home: Path, document_root: Path,
                       venv: Path = TEST_VENV) -> Iterator[RunningLabelStudio]:
    """Start Label Studio on 127.0.0.1:<free port> serving files under `document_root`; stop it afterwards."""
    _, install_s = ls_server.ensure_venv(venv, say=lambda msg: print(msg, flush=True))
    document_root.mkdir(parents=True, exist_ok=True)
    home = workbench_home / "labelstudio"
    for _ in range(3):  # the free port may be taken by someone else before the server binds it
        t0 = time.monotonic()
        try:
            proc, srv = ls_server.start(port=ls_server.free_port(), venv=venv, document_root=document_root,
                                        say=lambda msg: print(msg, flush=True), home=home)
            break
        except WorkbenchError as exc:
            if exc.problems[0].code not in ("labelstudio_port_moved", "labelstudio_port_busy"):
                raise
    else:
        raise RuntimeError("could not start Label Studio on a free port")
    start_s = time.monotonic() - t0
    print(f"Label Studio ready on {srv.port}: install {install_s:.0f} s, start {start_s:.0f} s", flush=True)
    try:
        yield RunningLabelStudio(url=srv.url, token=srv.token_file.read_text(encoding="utf-8").strip(),
                                 port=srv.port, workbench_home=workbench_home, document_root=document_root.resolve(),
                                 log_file=srv.log_file, install_seconds=install_s, start_seconds=start_s)
    finally:
        ls_server.stop(proc)
        ls_server.forget_local_server(home)


@pytest.fixture(scope="module")
def labelstudio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLabelStudio]:
    """One server per test module; put files to label under `ls.document_root`."""
    work = tmp_path_factory.mktemp("labelstudio")
    with labelstudio_server(work / "home", work / "root") as ls:
        yield ls
