"""Constructed frames and detections, so block tests need no video or model. Import: `from support import ...`."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import supervision as sv

from workbench.core.frames import Frame, read_only


def make_frame(index: int = 0, fps: float = 25.0, size: tuple[int, int] = (640, 360),
               start: datetime = datetime(2026, 11, 23, 12, 0, 0)) -> Frame:
    """A black frame at `index`, `index / fps` seconds after `start`."""
    pts = index / fps
    image = read_only(np.zeros((size[1], size[0], 3), dtype=np.uint8))
    return Frame(image=image, index=index, pts=pts, wall_time=start + timedelta(seconds=pts), source="test")


def make_detections(boxes, class_names=None, confidence=None, tracker_ids=None, trajectories=None) -> sv.Detections:
    """Detections from a list of (x1, y1, x2, y2); tracks when tracker_ids are given (trajectory = anchors so far)."""
    xyxy = np.array(boxes, dtype=np.float32).reshape(-1, 4)
    n = len(xyxy)
    names = list(class_names) if class_names is not None else ["car"] * n
    classes = sorted(set(names))
    data = {"class_name": np.array(names, dtype=object if n == 0 else None)}
    if trajectories is not None:
        data["trajectory"] = np.empty(n, dtype=object)
        for i, tr in enumerate(trajectories):
            data["trajectory"][i] = np.asarray(tr, dtype=np.float32).reshape(-1, 2)
    return sv.Detections(
        xyxy=xyxy,
        confidence=np.array(confidence if confidence is not None else [0.9] * n, dtype=np.float32),
        class_id=np.array([classes.index(c) for c in names], dtype=int),
        tracker_id=np.array(tracker_ids, dtype=int) if tracker_ids is not None else None,
        data=data,
    )


def decoded_frames(path) -> list:
    """Every frame OpenCV decodes from the video at `path`."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    frames = []
    ok, img = cap.read()
    while ok:
        frames.append(img)
        ok, img = cap.read()
    cap.release()
    return frames
