"""A real MLflow tracking server for tests, storing artifacts in an S3 bucket (e.g. SeaweedFS from seaweedfs.py).

    with seaweedfs(tmp / "s3") as s3, mlflow_server(tmp / "mlflow", s3, "mlflow") as server:
        os.environ["MLFLOW_TRACKING_URI"] = server.url

Artifacts are proxied by the server (`--artifacts-destination s3://BUCKET`), so clients need no S3 credentials.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from services.ports import free_ports, wait_http
from services.process import spawn, stop
from services.seaweedfs import S3Service

READY_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class MlflowService:
    url: str
    bucket: str
    folder: Path


@contextmanager
def mlflow_server(folder: Path, s3: S3Service, bucket: str = "mlflow") -> Iterator[MlflowService]:
    """Run `mlflow server` (sqlite backend in `folder`, artifacts in s3://bucket) until the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    client = s3.minio()
    if not client.bucket_exists(bucket):
        client.make_bucket(bucket)
    (port,) = free_ports(1)
    env = {**os.environ, "MLFLOW_S3_ENDPOINT_URL": s3.endpoint, "AWS_ACCESS_KEY_ID": s3.access_key,
           "AWS_SECRET_ACCESS_KEY": s3.secret_key, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
           "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    cmd = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
           "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}", "--artifacts-destination", f"s3://{bucket}"]
    proc = spawn(cmd, env, folder / "mlflow.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/health", READY_TIMEOUT_S, lambda: proc.poll() is None,
                  lambda: (folder / "mlflow.log").read_text(errors="replace"))
        yield MlflowService(url, bucket, folder)
    finally:
        stop(proc)
