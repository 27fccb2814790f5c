"""A real local-folder registry for the Share page and view tests: who publishes what (see `publish_registry`)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from sharing_support import yolo_pipeline

from workbench.features.sharing import keys
from workbench.features.sharing.config import open_store
from workbench.features.sharing.local_store import LocalStore
from workbench.features.sharing.outbox import prepare, send
from workbench.features.sharing.store import file_key

ROOT = Path(__file__).resolve().parents[4]
PIPELINES = ROOT / "pipelines"
DESCRIPTION = {"en": "Counts cars crossing the gate line", "zh": "统计穿过闸口线的小汽车"}
GATE = "haidian/gate-count"
EVALUATION = {"detection": {"mAP50": 0.61, "precision": 0.7, "per_class": {"car": {"recall": 0.5}}},
              "events": {"count_line": {"line_cross": {"f1": 0.9}}, "note": "replayed"}}


def share_env(mp: pytest.MonkeyPatch, home: Path) -> None:
    mp.setenv("WORKBENCH_HOME", str(home))
    mp.setenv("WORKBENCH_REGISTRY_URL", str(home / "registry"))
    mp.setenv("WORKBENCH_REGISTRY_DISTRICT", "haidian")
    mp.delenv("WORKBENCH_REGISTRY_POLICY", raising=False)
    mp.delenv("MLFLOW_TRACKING_URI", raising=False)


def publish_registry(home: Path, weights: Path) -> LocalStore:
    """haidian/gate-count 1.0.0 and 1.0.1 (YOLO, preview, metrics), chaoyang/people-count 2.0.0 signed with a key
    this machine does not trust, and haidian/broken-count 1.0.0 with one byte of its pipeline changed in the store."""
    keys.generate("haidian")
    store = open_store()
    preview = home / "frame.jpg"
    cv2.imwrite(str(preview), np.full((48, 64, 3), 127, dtype=np.uint8))
    for version in ("1.0.0", "1.0.1"):
        folder, manifest = prepare(yolo_pipeline(), name="gate-count", version=version, district="haidian",
                                   description=DESCRIPTION, weights=[weights], evaluation=EVALUATION,
                                   tags=("vehicles", "counting"), task="count", preview=preview)
        send(folder, manifest, store)
    motion = PIPELINES / "vehicle_count_line.yaml"
    folder, manifest = prepare(motion, name="broken-count", version="1.0.0", district="haidian",
                               description=DESCRIPTION, task="count")
    send(folder, manifest, store)
    stored = Path(store.root) / file_key("haidian", "broken-count", "1.0.0", manifest.upload_id, "pipeline.yaml")
    data = bytearray(stored.read_bytes())
    data[10] ^= 0x01
    stored.write_bytes(bytes(data))
    other = keys.generate("chaoyang")
    folder, manifest = prepare(motion, name="people-count", version="2.0.0", district="chaoyang",
                               description={"en": "Counts people", "zh": "行人计数"}, tags=("people",))
    send(folder, manifest, LocalStore(store.root, district="chaoyang"))
    keys.untrust(other.key_id)
    other.path.unlink()  # this machine only signs for haidian
    return store
