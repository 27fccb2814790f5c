"""Where the real pixels come from: files that installed packages ship, read at run time, never committed.

- Debian's `opencv-doc` (`/usr/share/doc/opencv-doc/`): `examples/data/vtest.avi` (768x576 street at 10 fps, the
  background and the walking people) and photos under `opencv4/html/` (buses, cars).
- the `ultralytics` wheel: `ultralytics/assets/bus.jpg` (people in front of a bus).

Derived pictures (the median background, the cut-out objects) are computed once and kept in
`<workbench home>/cache/synth-real/<key>/`; the key changes with the source files, the tables and OpenCV's version.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import shutil
from pathlib import Path

import cv2
import numpy as np

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.paths import workbench_home

OPENCV_DOC = Path("/usr/share/doc/opencv-doc")
CACHE_VERSION = 1
MEDIAN_STEP = 15  # every 15th frame of vtest.avi (53 frames) goes into the per-pixel median


def opencv_doc() -> Path:
    """The opencv-doc folder (a module attribute so tests can point it elsewhere)."""
    return OPENCV_DOC


def vtest_path() -> Path:
    return opencv_doc() / "examples" / "data" / "vtest.avi"


def html_image(name: str) -> Path:
    return opencv_doc() / "opencv4" / "html" / name


def ultralytics_asset(name: str) -> Path | None:
    """A picture inside the installed ultralytics package (found without importing it), or None."""
    spec = importlib.util.find_spec("ultralytics")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "assets" / name


def resolve(source: str) -> Path:
    """A table's source as a path: `vtest` (vtest.avi; its median is meant), `html:<file>`, `ultralytics:<file>`."""
    kind, _, name = source.partition(":")
    if kind == "html":
        return html_image(name)
    if kind == "ultralytics":
        path = ultralytics_asset(name)
        if path is None:
            raise _missing(Path("ultralytics/assets") / name, "ultralytics", "pip install ultralytics")
        return path
    return vtest_path()


def _missing(path: Path, package: str, command: str) -> WorkbenchError:
    return WorkbenchError([Problem("synth_real_source_missing", field="scenario",
                                   params={"path": str(path), "package": package, "command": command})])


def require(sources: list[str]) -> None:
    """Raise a user error naming the package to install when a source file is missing (opencv-doc: apt-get)."""
    for source in dict.fromkeys(["vtest", *sources]):
        path = resolve(source)
        if path.exists() or (source == "vtest" and path.with_suffix(".avi.gz").exists()):
            continue
        if source.startswith("ultralytics:"):
            raise _missing(path, "ultralytics", "pip install ultralytics")
        raise _missing(path, "opencv-doc", "apt-get install opencv-doc")


def read_image(source: str) -> np.ndarray:
    img = cv2.imread(str(resolve(source)), cv2.IMREAD_COLOR)
    if img is None:
        raise _missing(resolve(source), "opencv-doc", "apt-get install opencv-doc")
    return img


def cache_dir(tables: str) -> Path:
    """The cache folder for these tables (their repr) and the installed source files (its parent is created; the
    folder itself appears complete, renamed from a temporary one)."""
    h = hashlib.sha256(f"{CACHE_VERSION}|{cv2.__version__}|{tables}".encode())
    for path in (vtest_path(), vtest_path().with_suffix(".avi.gz")):
        if path.exists():
            h.update(f"{path}:{path.stat().st_size}".encode())
    folder = workbench_home() / "cache" / "synth-real" / h.hexdigest()[:16]
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder


def _video_file(cache: Path) -> Path:
    path = vtest_path()
    if path.exists():
        return path
    packed, plain = path.with_suffix(".avi.gz"), cache / "vtest.avi"  # in case a package compresses its examples
    if not plain.exists():
        with gzip.open(packed) as src, open(plain.with_suffix(".tmp"), "wb") as dst:
            shutil.copyfileobj(src, dst)
        plain.with_suffix(".tmp").replace(plain)
    return plain


def vtest_frames(cache: Path, wanted: set[int] | None = None) -> dict[int, np.ndarray]:
    """The frames of vtest.avi (795 in all) whose numbers are `wanted` (all when None), by number. The others are
    only grabbed, which is much cheaper than decoding them into pictures."""
    cap = cv2.VideoCapture(str(_video_file(cache)))
    frames, index = {}, 0
    while cap.grab():
        if wanted is None or index in wanted:
            ok, img = cap.retrieve()
            if ok:
                frames[index] = img
        index += 1
    cap.release()
    if index == 0:
        raise _missing(vtest_path(), "opencv-doc", "apt-get install opencv-doc")
    return frames


def median_frames() -> set[int]:
    return set(range(0, 795, MEDIAN_STEP))


def median_background(frames: dict[int, np.ndarray]) -> np.ndarray:
    """The per-pixel median of every MEDIAN_STEP-th frame: the street without its walkers (the parked van and car
    stay, they never move). An odd number of frames, so the median is one of them; found bit by bit (is the median
    at least this value?), which is several times faster than sorting every pixel's values."""
    stack = [frames[i] for i in sorted(median_frames()) if i in frames]
    middle = len(stack) // 2
    median = np.zeros_like(stack[0])
    for bit in range(7, -1, -1):
        candidate = median | np.uint8(1 << bit)
        below = np.zeros(median.shape, np.uint8)
        for frame in stack:
            below += frame < candidate
        median = np.where(below <= middle, candidate, median)
    return median
