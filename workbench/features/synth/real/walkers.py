"""Walk cycles of real people, cut out of vtest.avi by background subtraction against the median background.

A committed table names stretches of the video where one person walks alone (first frame, last frame, the person's
box in the first frame). The person is followed through the stretch (the foreground blob overlapping the previous
box most), each frame's blob is a cut-out (holes filled, edge feathered), and the stretch is trimmed to the frame
whose silhouette best repeats the first one, so the cycle loops without a jump.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from workbench.features.synth.real.cutouts import Cutout, fill_holes, mask_height, to_bgra

DIFF_THRESHOLD = 28  # grey levels (largest channel) between a frame and the median: foreground
MIN_CYCLE = 8  # frames


@dataclass(frozen=True)
class WalkerEntry:
    """A person walking alone in vtest.avi from `first` to `last` (frame numbers); `box` x, y, w, h in `first`;
    `facing` where the person walks in the picture (left, right, rear = away from the camera)."""

    name: str
    first: int
    last: int
    box: tuple[int, int, int, int]
    facing: str
    height_m: float = 1.75


WALKERS: tuple[WalkerEntry, ...] = (
    WalkerEntry("paper_right", 180, 208, (586, 218, 45, 90), "right", 1.78),
    WalkerEntry("paper_left", 232, 265, (704, 284, 44, 112), "left", 1.78),
    WalkerEntry("dark_right", 383, 403, (587, 271, 43, 111), "right", 1.8),
    WalkerEntry("red_left", 527, 555, (198, 173, 25, 73), "left", 1.65),
    WalkerEntry("jeans_left", 593, 627, (596, 212, 41, 92), "left", 1.75),
    WalkerEntry("jacket_left", 359, 382, (374, 176, 36, 72), "left", 1.75),
    WalkerEntry("away", 57, 125, (629, 241, 34, 109), "rear", 1.8),
    WalkerEntry("coat_away", 589, 650, (259, 433, 61, 143), "rear", 1.7),
)
WALKER_BY_NAME = {w.name: w for w in WALKERS}


def walker_frames() -> set[int]:
    """The vtest.avi frame numbers the walk cycles are cut from."""
    return {f for w in WALKERS for f in range(w.first, w.last + 1)}


def foreground(frame: np.ndarray, median: np.ndarray) -> np.ndarray:
    """0/1 mask of pixels that differ from the median background, cleaned with an opening and a closing."""
    diff = cv2.absdiff(frame, median).max(axis=2) > DIFF_THRESHOLD
    mask = cv2.morphologyEx(diff.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((7, 5), np.uint8))


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / float(a[2] * a[3] + b[2] * b[3] - inter) if inter else 0.0


Followed = tuple[np.ndarray, np.ndarray, tuple[int, int]]


def follow(entry: WalkerEntry, frames: dict[int, np.ndarray], median: np.ndarray) -> list[Followed]:
    """(picture, 0/1 mask of the person, the picture's top-left corner in the frame) for each frame of the stretch,
    until the person is lost. Only a window around the previous box is looked at."""
    out, box = [], entry.box
    height, width = median.shape[:2]
    for f in range(entry.first, entry.last + 1):
        pad = max(24, box[3] // 3)
        x1, y1 = max(0, box[0] - pad), max(0, box[1] - pad)
        x2, y2 = min(width, box[0] + box[2] + pad), min(height, box[1] + box[3] + pad)
        window = foreground(frames[f][y1:y2, x1:x2], median[y1:y2, x1:x2])
        n, labels, stats, _ = cv2.connectedComponentsWithStats(window, connectivity=8)
        here = (box[0] - x1, box[1] - y1, box[2], box[3])
        scores = [_iou(here, tuple(int(v) for v in stats[i, :4])) for i in range(1, n)]
        if not scores or max(scores) < 0.3:
            break
        k = 1 + int(np.argmax(scores))
        sx, sy, sw, sh = (int(v) for v in stats[k, :4])
        box = (sx + x1, sy + y1, sw, sh)
        out.append((frames[f][y1:y2, x1:x2], fill_holes(labels == k), (x1, y1)))
    return out


def _silhouette(mask: np.ndarray, size: tuple[int, int] = (24, 48)) -> np.ndarray:
    """The mask's box scaled to a fixed size, for comparing poses."""
    x, y, w, h = cv2.boundingRect(mask)
    return cv2.resize(mask[y:y + h, x:x + w].astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.5


def cycle_length(masks: list[np.ndarray]) -> int:
    """The number of frames after which the silhouette best repeats the first one (all of them if none does)."""
    if len(masks) <= MIN_CYCLE:
        return len(masks)
    first = _silhouette(masks[0])
    scores = []
    for m in masks[MIN_CYCLE:]:
        s = _silhouette(m)
        scores.append((first & s).sum() / max(1, (first | s).sum()))
    return MIN_CYCLE + int(np.argmax(scores))


def walker_cutout(entry: WalkerEntry, frames: dict[int, np.ndarray], median: np.ndarray) -> Cutout:
    """The walk cycle of `entry` as a Cutout (one BGRA frame per video frame, feet at the anchor)."""
    followed = follow(entry, frames, median)
    if len(followed) < 2:
        raise ValueError(f"walker {entry.name}: the person is not found in frame {entry.first}")
    n = cycle_length([m for _, m, _ in followed])
    sprites, feet, heights = [], [], []
    for img, mask, (ox, oy) in followed[:n + 1]:
        x, y, w, h = cv2.boundingRect(mask)
        feet.append((ox + x + w / 2.0, float(oy + y + h)))
        heights.append(h)
        sprites.append(to_bgra(img, mask))
    steps = [float(np.hypot(b[0] - a[0], b[1] - a[1])) for a, b in itertools.pairwise(feet)]
    height = float(np.median(heights))
    sprites = sprites[:n]
    return Cutout(entry.name, "person", entry.height_m, entry.facing, tuple(sprites),
                  float(np.median([mask_height(s[:, :, 3]) for s in sprites])), stride=float(np.mean(steps)) / height)
