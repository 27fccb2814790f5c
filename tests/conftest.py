"""Test-wide settings: English messages, ultralytics offline."""

from __future__ import annotations

import os

os.environ.setdefault("WORKBENCH_LANG", "en")
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")
