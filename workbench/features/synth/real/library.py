"""Everything a real-pixel scene composites, built once from the installed files and cached on disk.

- the background: the per-pixel median of vtest.avi (its walkers vanish; its parked van and car stay);
- the static layers: things standing in the street that pass in front of whatever is behind them (the lamp post
  with its sign, the tripod) and the parked vehicles, each a soft mask over the background plus a depth (the y of
  its foot: larger = nearer the camera);
- the cut-outs: photo objects (`cutouts.PHOTOS`) and walk cycles (`walkers.WALKERS`).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from workbench.features.synth.real import cutouts, sources, walkers
from workbench.features.synth.real.cutouts import Cutout


@dataclass(frozen=True)
class StaticEntry:
    """Something of the background that hides what passes behind it. `cls` is a truth class for parked vehicles,
    None for street furniture; `depth` the y of its foot."""

    name: str
    cls: str | None
    depth: float
    box: tuple[int, int, int, int]  # x1, y1, x2, y2 where its mask lies


STATICS: tuple[StaticEntry, ...] = (
    StaticEntry("lamp_post", None, 392.0, (394, 14, 446, 394)),
    StaticEntry("tripod", None, 484.0, (452, 332, 530, 488)),
    StaticEntry("parked_van", "van", 101.0, (648, 40, 729, 103)),
    StaticEntry("parked_car", "car", 97.0, (731, 45, 768, 100)),
)
# The lamp post: centre line (x, y, half width) from the lamp down to the foot, the lamp and the sign plate.
_POST = ((399, 34, 1.5), (405, 57, 1.5), (415, 72, 1.5), (424, 87, 1.6), (425.5, 102, 3.0), (428.5, 200, 2.6),
         (430, 250, 2.9), (431, 300, 3.1), (432, 338, 3.6), (432.5, 346, 5.0), (433, 392, 5.2))
_LAMP = ((418, 29), (21, 9))
_SIGN = (413, 203, 444, 243)


@dataclass(frozen=True)
class Static:
    """A static layer: its entry, its alpha (float32, 0..1) over `entry.box`."""

    entry: StaticEntry
    alpha: np.ndarray


@dataclass(frozen=True)
class Library:
    background: np.ndarray  # (576, 768, 3) uint8
    statics: tuple[Static, ...]
    cutouts: dict[str, Cutout]


def _post_mask(shape: tuple[int, int], up: int = 4) -> np.ndarray:
    """The lamp post drawn at `up` times the resolution and averaged down: a soft 0..1 mask."""
    big = np.zeros((shape[0] * up, shape[1] * up), np.uint8)
    for (xa, ya, wa), (xb, yb, wb) in itertools.pairwise(_POST):
        quad = np.array([(xa - wa, ya), (xa + wa, ya), (xb + wb, yb), (xb - wb, yb)], np.float64) * up
        cv2.fillConvexPoly(big, np.round(quad).astype(np.int32), 255)
    (cx, cy), (ax, ay) = _LAMP
    cv2.ellipse(big, (cx * up, cy * up), (ax * up, ay * up), 0, 0, 360, 255, -1)
    x1, y1, x2, y2 = _SIGN
    cv2.rectangle(big, (x1 * up, y1 * up), (x2 * up - 1, y2 * up - 1), 255, -1)
    return cv2.resize(big, (shape[1], shape[0]), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _dark_mask(background: np.ndarray, box: tuple[int, int, int, int], value: int = 75) -> np.ndarray:
    """Dark thin things in `box` (the tripod on the grass and road): value below `value`, specks dropped."""
    x1, y1, x2, y2 = box
    v = cv2.cvtColor(background[y1:y2, x1:x2], cv2.COLOR_BGR2HSV)[:, :, 2]
    n, labels, stats, _ = cv2.connectedComponentsWithStats((v < value).astype(np.uint8), connectivity=8)
    keep = np.isin(labels, [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] > 10]).astype(np.float32)
    return cv2.GaussianBlur(keep, (0, 0), 0.6)


def static_alpha(entry: StaticEntry, background: np.ndarray) -> np.ndarray:
    """The layer's soft mask over its box."""
    x1, y1, x2, y2 = entry.box
    if entry.name == "lamp_post":
        return _post_mask(background.shape[:2])[y1:y2, x1:x2]
    if entry.name == "tripod":
        return _dark_mask(background, entry.box)
    mask = cutouts.grabcut_box(background, entry.box)
    return cutouts.feathered(mask)[y1:y2, x1:x2].astype(np.float32) / 255.0


def _tables() -> str:
    return repr((cutouts.PHOTOS, walkers.WALKERS, STATICS, _POST, _LAMP, _SIGN, sources.MEDIAN_STEP,
                 cutouts.SEGMENT_SIZE, cutouts.FEATHER_SIGMA, walkers.DIFF_THRESHOLD))


def _save(folder: Path, lib: Library) -> None:
    """Write the library into a temporary folder renamed to `folder`: readers never see half a cache; of two
    processes building it at once, the first rename wins (both built the same thing)."""
    tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    cv2.imwrite(str(tmp / "background.png"), lib.background)
    np.savez_compressed(tmp / "statics.npz", **{s.entry.name: s.alpha for s in lib.statics})
    meta = {}
    for name, c in lib.cutouts.items():
        np.savez_compressed(tmp / f"cutout_{name}.npz", *c.frames)
        meta[name] = {"cls": c.cls, "height_m": c.height_m, "facing": c.facing, "height_px": c.height_px,
                      "stride": c.stride, "shear": c.shear}
    (tmp / "cutouts.json").write_text(json.dumps(meta), encoding="utf-8")
    try:
        tmp.rename(folder)
    except OSError:  # another process was quicker
        shutil.rmtree(tmp, ignore_errors=True)


def _load(folder: Path) -> Library | None:
    meta_path = folder / "cutouts.json"
    if not meta_path.exists():
        return None
    background = cv2.imread(str(folder / "background.png"), cv2.IMREAD_COLOR)
    with np.load(folder / "statics.npz") as z:
        statics = tuple(Static(e, z[e.name]) for e in STATICS)
    found = {}
    for name, m in json.loads(meta_path.read_text(encoding="utf-8")).items():
        with np.load(folder / f"cutout_{name}.npz") as z:
            frames = tuple(z[f"arr_{i}"] for i in range(len(z.files)))
        found[name] = Cutout(name, m["cls"], m["height_m"], m["facing"], frames, m["height_px"], m["stride"],
                             m["shear"])
    return Library(background, statics, found)


def build(cache: Path | None = None, only: Collection[str] | None = None) -> Library:
    """Segment everything from the installed files (a few seconds); `only` these cut-outs when given."""
    chosen = [w for w in walkers.WALKERS if only is None or f"walker_{w.name}" in only]
    wanted = sources.median_frames() | {f for w in chosen for f in range(w.first, w.last + 1)}
    frames = sources.vtest_frames(cache or Path("."), wanted)
    background = sources.median_background(frames)
    statics = tuple(Static(e, static_alpha(e, background)) for e in STATICS)
    found: dict[str, Cutout] = {}
    pictures: dict[str, np.ndarray] = {}
    for entry in cutouts.PHOTOS:
        if only is not None and entry.name not in only:
            continue
        if entry.source not in pictures:
            pictures[entry.source] = background if entry.source == "vtest" else sources.read_image(entry.source)
        found[entry.name] = cutouts.make_cutout(entry, cutouts.photo_cutout(entry, pictures[entry.source]))
    for walker in chosen:
        found[f"walker_{walker.name}"] = walkers.walker_cutout(walker, frames, background)
    return Library(background, statics, found)


def library() -> Library:
    """The library, from the cache when it is there (built and saved otherwise). Missing source files are a user
    error naming the package to install."""
    sources.require(sorted({e.source for e in cutouts.PHOTOS}))
    return _library_in(sources.cache_dir(_tables()))


@cache
def _library_in(folder: Path) -> Library:
    lib = _load(folder)
    if lib is None:
        lib = build(folder.parent)
        _save(folder, lib)
    return lib
