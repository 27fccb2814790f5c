"""Pick the frames of a clip worth labeling: uniform, at scene changes, or where the current model is unsure.

Every sampler returns `FrameRef`s (which frame of which clip, why, how strongly); `dedupe()` drops near-duplicates,
`extract()` writes the chosen frames as JPEGs to `<workbench home>/frames/<clip_id>/<frame_index:06d>.jpg` with an
index `frames.json` beside them. Frame `i` is at `i / fps` seconds, as everywhere in the workbench.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import supervision as sv

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.frames import Frame, read_only
from workbench.core.paths import workbench_home
from workbench.features.finetune.clips import Clip, ClipLibrary
from workbench.records import audit
from workbench.records.roles import Actor, Permission, require

Detect = Callable[[np.ndarray], sv.Detections]
Hash = tuple[np.ndarray, np.ndarray]  # dHash bits and which of them are reliable
SCENE_SIZE = (64, 36)  # thumbnail compared by scene_change (width, height)
SCENE_PIXEL_DELTA = 20  # grey levels (0-255) a thumbnail pixel must change by to count as changed
HASH_SIZE = 16  # dHash: 16 x 16 = 256 bits
HASH_DEAD_BAND = 2.0  # grey levels: neighbouring cells closer than this carry no reliable bit (flat sky, asphalt)


@dataclass(frozen=True)
class FrameRef:
    """One sampled frame: clip, index, time (s), the method that chose it, its score and a short reason."""

    clip_id: str
    frame_index: int
    pts: float
    method: str
    score: float = 0.0
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrameRef:
        return cls(**{k: data[k] for k in ("clip_id", "frame_index", "pts", "method") if k in data},
                   score=float(data.get("score", 0.0)), reason=str(data.get("reason", "")))


def frames_dir() -> Path:
    return workbench_home() / "frames"


def _problem(code: str, /, field: str | None = None, **params: object) -> WorkbenchError:
    return WorkbenchError([Problem(code=code, field=field, params=params)])


def _open(clip: Clip | str, library: ClipLibrary | None) -> tuple[Clip, Path]:
    lib = library or ClipLibrary()
    clip = lib.get(clip) if isinstance(clip, str) else clip
    return clip, lib.video_path(clip)


def _ref(clip: Clip, index: int, method: str, score: float = 0.0, reason: str = "") -> FrameRef:
    return FrameRef(clip.id, int(index), round(index / clip.fps, 4), method, round(float(score), 4), reason)


def iter_frames(path: Path, indices: Iterable[int] | None = None, stride: int = 1) -> Iterator[tuple[int, np.ndarray]]:
    """Decode `(index, BGR image)` of the wanted frames in order: the given indices, else every `stride`-th."""
    wanted = sorted(set(indices)) if indices is not None else None
    if wanted is not None and not wanted:
        return
    cap = cv2.VideoCapture(str(path))
    try:
        pos, next_wanted = 0, 0
        while cap.grab():
            if (pos % stride == 0) if wanted is None else (pos == wanted[next_wanted]):
                ok, image = cap.retrieve()
                if not ok:
                    break
                yield pos, image
                if wanted is not None:
                    next_wanted += 1
                    if next_wanted == len(wanted):
                        break
            pos += 1
    finally:
        cap.release()


# -- samplers ----------------------------------------------------------------------------------------------------------
def uniform(clip: Clip | str, every_s: float = 1.0, library: ClipLibrary | None = None) -> list[FrameRef]:
    """One frame every `every_s` seconds from the start (the frame nearest to each multiple); no decoding needed."""
    clip, _ = _open(clip, library)
    if not every_s > 0:
        raise _problem("sampling_bad_interval", "every", every=every_s)
    step = every_s * clip.fps
    count = int(np.floor((clip.frame_count - 1) / step + 1e-9)) + 1
    indices = sorted({min(round(k * step), clip.frame_count - 1) for k in range(count)})
    return [_ref(clip, i, "uniform") for i in indices]


def _scene_thumb(image: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, SCENE_SIZE, interpolation=cv2.INTER_AREA).astype(np.int16)


def scene_change(clip: Clip | str, threshold: float = 0.25, stride: int = 1,
                 library: ClipLibrary | None = None) -> list[FrameRef]:
    """The first frame, then every frame whose picture differs from the last kept one by at least `threshold`.

    The difference is the share of the picture (0-1) that changed: on a 64x36 grey thumbnail, the fraction of
    pixels whose brightness moved by more than 20 of 255 levels. Traffic moving through a fixed camera's view
    changes a few percent; a cut to another camera, a moved camera or lights switching on change most of it.
    `stride` analyses only every N-th frame (faster, less exact position of the change).
    """
    clip, path = _open(clip, library)
    if not 0 < threshold <= 1:
        raise _problem("sampling_bad_threshold", "threshold", threshold=threshold)
    refs: list[FrameRef] = []
    kept: np.ndarray | None = None
    for index, image in iter_frames(path, stride=max(1, int(stride))):
        thumb = _scene_thumb(image)
        changed = 1.0 if kept is None else float((np.abs(thumb - kept) > SCENE_PIXEL_DELTA).mean())
        if kept is None or changed >= threshold:
            refs.append(_ref(clip, index, "scene", changed, f"changed={changed:.2f}"))
            kept = thumb
    return refs


@dataclass
class _Disagreement:
    """What the tracker saw differently from the previous frame, away from the picture's border."""

    lost: int = 0
    new: int = 0
    unmatched: int = 0

    def total(self) -> int:
        return self.lost + self.new + self.unmatched


def _inside(box: np.ndarray, size: tuple[int, int], margin: float) -> bool:
    """True when the box keeps `margin` (share of the picture's shorter side) away from every border."""
    w, h = size
    m = margin * min(w, h)
    return box[0] > m and box[1] > m and box[2] < w - m and box[3] < h - m


class _TrackerCheck:
    """Feed detections to ultralytics' ByteTrack (the tracking block) and count where it disagrees with them."""

    def __init__(self, fps: float, size: tuple[int, int], margin: float) -> None:
        from blocks.tracking.bytetrack import ByteTrack, ByteTrackConfig
        from workbench.core.block import StreamContext

        self.block = ByteTrack(ByteTrackConfig(), "model_driven")
        self.block.load()
        self.state = self.block.start(StreamContext(out_dir=None, source="", fps=fps, frame_size=size))
        self.size, self.margin = size, margin
        self.previous: dict[int, np.ndarray] = {}
        self.frames = 0

    def update(self, frame: Frame, dets: sv.Detections) -> _Disagreement:
        tracks = self.block.process(self.state, frame, {"detections": dets})["tracks"]
        current = {int(t): box for t, box in zip(tracks.tracker_id, tracks.xyxy, strict=True)}
        out = _Disagreement()
        out.lost = sum(1 for t, box in self.previous.items() if t not in current and _inside(box, self.size,
                                                                                             self.margin))
        if self.frames:
            out.new = sum(1 for t, box in current.items() if t not in self.previous and _inside(box, self.size,
                                                                                                 self.margin))
        matched = {tuple(np.round(b, 2)) for b in tracks.xyxy}
        out.unmatched = sum(1 for b in dets.xyxy if tuple(np.round(b, 2)) not in matched
                            and _inside(b, self.size, self.margin))
        self.previous = current
        self.frames += 1
        return out


def _uncertainty(dets: sv.Detections, band: tuple[float, float]) -> float:
    """Sum over detections inside the confidence band of how close each is to the band's middle (1 there, 0 edges)."""
    if dets.confidence is None or len(dets) == 0:
        return 0.0
    low, high = band
    mid, half = (low + high) / 2, max((high - low) / 2, 1e-9)
    conf = np.asarray(dets.confidence, dtype=np.float64)
    inside = (conf >= low) & (conf <= high)
    return float(np.clip(1.0 - np.abs(conf[inside] - mid) / half, 0.0, 1.0).sum())


def model_driven(clip: Clip | str, detect: Detect, band: tuple[float, float] = (0.2, 0.6), tracker: bool = True,
                 max_frames: int = 20, min_gap_s: float = 1.0, every_s: float | None = None, border: float = 0.02,
                 library: ClipLibrary | None = None) -> list[FrameRef]:
    """Frames where the current model is least sure of itself, at most `max_frames`, at least `min_gap_s` apart.

    `detect` is called once per analysed frame, in frame order (every frame, or one every `every_s` seconds). A
    frame's score adds up:
    - uncertainty: for each detection whose confidence lies inside `band`, 1 at the band's middle down to 0 at its
      edges — the model half-believes what it sees;
    - tracker disagreement (with `tracker`): tracks that vanish or appear, and detections no track takes, anywhere
      but at the picture's border (`border`, a share of its shorter side, where objects really enter and leave) —
      the detector missed an object for a moment or saw a ghost.
    The highest-scoring frames are taken first; frames with score 0 never are. Returned in frame order.
    """
    clip, path = _open(clip, library)
    low, high = band
    if not 0 <= low < high <= 1:
        raise _problem("sampling_bad_band", "band", low=low, high=high)
    stride = max(1, round(every_s * clip.fps)) if every_s else 1
    size = (clip.width, clip.height)
    check = _TrackerCheck(clip.fps / stride, size, border) if tracker else None
    scored: list[tuple[float, int, str]] = []
    for index, image in iter_frames(path, stride=stride):
        dets = detect(image)
        uncertain = _uncertainty(dets, band)
        score, reason = uncertain, f"uncertain={uncertain:.2f}"
        if check is not None:
            frame = Frame(image=read_only(image), index=index, pts=index / clip.fps, wall_time=datetime.now())
            d = check.update(frame, dets)
            score += d.total()
            reason += f" lost={d.lost} new={d.new} unmatched={d.unmatched}"
        if score > 0:
            scored.append((score, index, reason))
    gap = max(1, round(min_gap_s * clip.fps))
    chosen: list[tuple[float, int, str]] = []
    for score, index, reason in sorted(scored, key=lambda s: (-s[0], s[1])):
        if len(chosen) >= max_frames:
            break
        if all(abs(index - c[1]) >= gap for c in chosen):
            chosen.append((score, index, reason))
    return [_ref(clip, i, "model", s, r) for s, i, r in sorted(chosen, key=lambda c: c[1])]


# -- detectors for model_driven ----------------------------------------------------------------------------------------
def _block_detector(block: Any, state: Any) -> Detect:
    counter = iter(range(1 << 62))

    def detect(image: np.ndarray) -> sv.Detections:
        i = next(counter)
        frame = Frame(image=read_only(image), index=i, pts=0.0, wall_time=datetime.now())
        return block.process(state, frame, {"image": frame})["detections"]

    return detect


def zoo_detector(model_id: str, conf: float = 0.05, imgsz: int = 640, device: str = "auto") -> Detect:
    """A detect function from a model-zoo entry (the YOLO detection block: weights checked and loaded safely).

    Keep `conf` below the sampling band's lower edge so uncertain detections reach the sampler.
    """
    from blocks.detection.yolo import YoloConfig, YoloDetector

    block = YoloDetector(YoloConfig(model=model_id, conf=conf, imgsz=imgsz, device=device), "model_driven")
    block.load()
    return _block_detector(block, None)


def motion_detector(**settings: Any) -> Detect:
    """A detect function from the background-subtraction block (no weights; confidence = how filled the box is)."""
    from blocks.detection.motion import MotionConfig, MotionDetector
    from workbench.core.block import StreamContext

    block = MotionDetector(MotionConfig(**settings), "model_driven")
    state = block.start(StreamContext(out_dir=None, source="", fps=25.0, frame_size=(0, 0)))
    return _block_detector(block, state)


# -- near-duplicates ---------------------------------------------------------------------------------------------------
def dhash(image: np.ndarray, size: int = HASH_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Difference hash of a BGR or grey image: (bits, reliable). A bit says whether a cell of the `size+1` x `size`
    grey thumbnail is brighter than its left neighbour; `reliable` marks bits whose two cells differ by at least
    HASH_DEAD_BAND levels (the sign of a near-zero difference flips with sensor noise and compression)."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    small = cv2.resize(grey, (size + 1, size), interpolation=cv2.INTER_AREA).astype(np.float32)
    diff = (small[:, 1:] - small[:, :-1]).ravel()
    return diff > 0, np.abs(diff) >= HASH_DEAD_BAND


def hash_distance(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> int:
    """Hamming distance between two dHashes, counting only bits reliable in both."""
    return int(np.count_nonzero((a[0] != b[0]) & a[1] & b[1]))


def frame_images(refs: Sequence[FrameRef], library: ClipLibrary | None = None) -> dict[tuple[str, int], np.ndarray]:
    """Decode the frames `refs` point at: {(clip_id, frame_index): BGR image}; a missing frame is a problem."""
    lib = library or ClipLibrary()
    images: dict[tuple[str, int], np.ndarray] = {}
    by_clip: dict[str, set[int]] = {}
    for ref in refs:
        by_clip.setdefault(ref.clip_id, set()).add(ref.frame_index)
    for clip_id, indices in by_clip.items():
        _, path = _open(clip_id, lib)
        for index, image in iter_frames(path, indices):
            images[(clip_id, index)] = image
        missing = sorted(i for i in indices if (clip_id, i) not in images)
        if missing:
            raise _problem("frames_unreadable", "frames", clip=clip_id, frames=", ".join(map(str, missing[:10])))
    return images


def _hashes(refs: Sequence[FrameRef], library: ClipLibrary | None) -> dict[tuple[str, int], Hash]:
    """dHash of each frame `refs` point at, decoding one frame at a time (no picture is kept)."""
    lib = library or ClipLibrary()
    hashes = {}
    for clip_id in dict.fromkeys(r.clip_id for r in refs):
        indices = {r.frame_index for r in refs if r.clip_id == clip_id}
        _, path = _open(clip_id, lib)
        hashes.update({(clip_id, i): dhash(image) for i, image in iter_frames(path, indices)})
        missing = sorted(i for i in indices if (clip_id, i) not in hashes)
        if missing:
            raise _problem("frames_unreadable", "frames", clip=clip_id, frames=", ".join(map(str, missing[:10])))
    return hashes


def dedupe(frames: Sequence[FrameRef], max_distance: int = 2, library: ClipLibrary | None = None,
           images: dict[tuple[str, int], np.ndarray] | None = None) -> list[FrameRef]:
    """Drop near-duplicates: keep a frame only if its dHash differs from every frame kept before it (in the given
    order, across clips) by more than `max_distance` bits of 256. The first of each group of look-alikes stays.
    Without `images` the frames are decoded one at a time (long clips need not fit in memory)."""
    hashes = ({(r.clip_id, r.frame_index): dhash(images[(r.clip_id, r.frame_index)]) for r in frames}
              if images is not None else _hashes(frames, library))
    kept: list[FrameRef] = []
    kept_hashes: list[Hash] = []
    for ref in frames:
        h = hashes[(ref.clip_id, ref.frame_index)]
        if all(hash_distance(h, other) > max_distance for other in kept_hashes):
            kept.append(ref)
            kept_hashes.append(h)
    return kept


def limit(frames: Sequence[FrameRef], max_frames: int) -> list[FrameRef]:
    """At most `max_frames` of `frames`, spread evenly over the list (first and last kept), order unchanged."""
    if max_frames <= 0 or len(frames) <= max_frames:
        return list(frames)
    if max_frames == 1:
        return [frames[0]]
    picks = np.round(np.linspace(0, len(frames) - 1, max_frames)).astype(int)
    return [frames[i] for i in sorted(set(picks.tolist()))]


# -- extraction --------------------------------------------------------------------------------------------------------
def extract(frames: Sequence[FrameRef], library: ClipLibrary | None = None, out_root: Path | None = None,
            quality: int = 95, actor: Actor | None = None) -> list[Path]:
    """Write each frame as `<out_root>/<clip_id>/<frame_index:06d>.jpg` (default root: `<home>/frames`) and merge
    them into that folder's `frames.json` for `actor` (clips.edit); return the JPEG paths in the order of
    `frames`. Recorded as `frames.extract`."""
    actor = require(actor, Permission.CLIPS_EDIT)
    audit.record(actor, "frames.extract", ",".join(sorted({f.clip_id for f in frames})), after={"frames": len(frames)})
    root = Path(out_root) if out_root is not None else frames_dir()
    lib = library or ClipLibrary()
    images = frame_images(frames, lib)
    paths: dict[tuple[str, int], Path] = {}
    by_clip: dict[str, list[FrameRef]] = {}
    for ref in frames:
        by_clip.setdefault(ref.clip_id, []).append(ref)
    for clip_id, refs in by_clip.items():
        folder = root / clip_id
        folder.mkdir(parents=True, exist_ok=True)
        index_path = folder / "frames.json"
        entries = {e["frame_index"]: e for e in _read_index(index_path)}
        for ref in refs:
            image = images[(clip_id, ref.frame_index)]
            path = folder / f"{ref.frame_index:06d}.jpg"
            if not cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)]):
                raise _problem("frames_unwritable", "frames", path=str(path))
            paths[(clip_id, ref.frame_index)] = path
            entries[ref.frame_index] = {**ref.to_dict(), "file": path.name, "width": int(image.shape[1]),
                                        "height": int(image.shape[0])}
        clip = lib.get(clip_id)
        data = {"clip_id": clip_id, "clip_sha256": clip.sha256, "fps": clip.fps,
                "frames": [entries[k] for k in sorted(entries)]}
        tmp = index_path.with_suffix(".json.part")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, index_path)
    return [paths[(r.clip_id, r.frame_index)] for r in frames]


def _read_index(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        return list(json.loads(path.read_text(encoding="utf-8")).get("frames", []))
    except (OSError, ValueError, AttributeError):
        return []  # a damaged index is rebuilt from what is extracted now


def load_index(clip_id: str, out_root: Path | None = None) -> list[FrameRef]:
    """The frames extracted so far for `clip_id` (from its frames.json), in frame order."""
    root = Path(out_root) if out_root is not None else frames_dir()
    return [FrameRef.from_dict(e) for e in _read_index(root / clip_id / "frames.json")]
