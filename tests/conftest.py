"""Test-wide settings: English messages, ultralytics offline, and a workbench home outside the checkout."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("WORKBENCH_LANG", "en")
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")
os.environ.setdefault("WORKBENCH_HOME", tempfile.mkdtemp(prefix="workbench-home-"))
