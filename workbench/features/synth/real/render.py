"""Composite the cut-outs over the real background, frame by frame, and measure what of each object is visible.

Per frame, every active actor is warped (scale from the perspective, sub-pixel position, mirrored when it drives or
walks the other way) and the layers are painted far to near by depth (the y of the foot); a static layer (lamp
post, tripod, parked vehicle) repaints its own background pixels, so it hides what passes behind it. Then, near to
far, each layer's visible alpha is its alpha times what the layers in front of it let through; the truth boxes are
taken from those alphas (`Seen`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from workbench.features.synth.actors import Actor
from workbench.features.synth.real.cutouts import Cutout
from workbench.features.synth.real.library import Library, Static, library
from workbench.features.synth.real.scene import Cast, RealScene, px_per_metre

NOISE_SIGMA = 2.0
SOFTNESS = 0.6  # Gaussian sigma (output pixels) applied to a warped cut-out: the camera's softness
SHADOW = 0.45  # how much a vehicle's contact shadow darkens the ground under it
MAX_SLOPE = 0.45  # steepest road slope (dy/dx) for a side-viewed vehicle: its depth, the shear of a flat side view
EMPTY = -1e9  # depth of the background in the depth buffer

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Seen:
    """One object in one frame: its visible box (None when hidden), its whole box clipped to the picture (None when
    outside it), and its pixel counts (alpha >= 0.5): visible, and of the whole object even outside the picture."""

    id: int
    visible: Box | None
    full: Box | None
    visible_px: int
    total_px: int


@dataclass
class _Layer:
    depth: float  # the y of the foot: painting order, and the depth of every column unless `slope`
    key: int
    roi: tuple[int, int, int, int]  # x0, y0 of the warp in the frame, its width and height
    bgr: np.ndarray | None  # float32 (None: a static layer, repainted from the background)
    alpha: np.ndarray  # float32 0..1, the warp's size
    track: int | None  # truth id, None for street furniture
    slope: float = 0.0  # a vehicle along a slanted road: depth of column x = depth + slope * (x - anchor x)
    anchor_x: float = 0.0
    shown: np.ndarray | None = None  # alpha where it lies in front of what was painted before it

    def depths(self) -> np.ndarray:
        """Depth of each column of the layer (y of the ground under it)."""
        x0, _, w, _ = self.roi
        return self.depth + self.slope * (np.arange(x0, x0 + w, dtype=np.float32) - self.anchor_x)


class _Player:
    """One actor: its cut-out prepared with its cast's look, the pose and mirror of every frame."""

    def __init__(self, actor: Actor, cast: Cast, cutout: Cutout, times: np.ndarray):
        self.actor, self.cast, self.cutout = actor, cast, cutout
        self.pos, self.active = actor.positions(times)
        height_m = cast.height_m or cutout.height_m
        self.scale = px_per_metre(self.pos[:, 0], self.pos[:, 1]) * height_m / cutout.height_px
        self.mirror = self._mirrors()
        self.pose = self._poses(height_m)
        side_view = actor.cls != "person" and cutout.facing in ("left", "right")
        self.slope = self._slopes() if side_view else np.zeros(len(times))
        self._pyramids: dict[tuple[int, bool], list[tuple[np.ndarray, float, float]]] = {}

    def _mirrors(self) -> np.ndarray:
        dx = np.diff(self.pos[:, 0], prepend=self.pos[0, 0])
        facing = self.cutout.facing
        if self.cast.mirror is not None or facing not in ("left", "right"):
            return np.full(len(dx), bool(self.cast.mirror))
        sign = np.sign(dx)
        moving = np.flatnonzero(sign)
        first = sign[moving[0]] if len(moving) else 1.0
        if self.actor.cls != "person":  # vehicles keep facing where they first drove (they reverse, not turn)
            sign = np.full(len(dx), first)
        else:
            last = first
            for i in range(len(sign)):  # keep facing the last direction while standing
                last = sign[i] = sign[i] or last
        return sign < 0 if facing == "right" else sign > 0

    def _slopes(self) -> np.ndarray:
        """dy/dx of the road under a vehicle seen from the side (its direction of travel, kept while it stands),
        within +-MAX_SLOPE: its depth follows it along its length, and a flat side view is sheared to it."""
        d = np.diff(self.pos, axis=0, prepend=self.pos[:1])
        out, last = np.zeros(len(d)), 0.0
        for i, (dx, dy) in enumerate(d):
            if dx or dy:
                last = float(np.clip(dy / dx, -MAX_SLOPE, MAX_SLOPE)) if dx else 0.0
            out[i] = last
        return out

    def _poses(self, height_m: float) -> np.ndarray:
        """Frame of the walk cycle per clip frame: advanced by the distance walked, in body heights."""
        n = len(self.cutout.frames)
        if n == 1 or self.cutout.stride <= 0:
            return np.zeros(len(self.pos), np.int64)
        step = np.hypot(*np.diff(self.pos, axis=0, prepend=self.pos[:1]).T)
        body_px = px_per_metre(self.pos[:, 0], self.pos[:, 1]) * height_m
        return (np.floor(np.cumsum(step / body_px) / self.cutout.stride).astype(np.int64)) % n

    def _prepared(self, pose: int, mirror: bool) -> list[tuple[np.ndarray, float, float]]:
        """(BGRA float32, anchor x, anchor y) at full, half, quarter and eighth size."""
        key = (pose, mirror)
        if key not in self._pyramids:
            img = _look(self.cutout.frames[pose], self.cast)
            ax, ay = self.cutout.anchors[pose]
            if mirror:
                img, ax = img[:, ::-1].copy(), img.shape[1] - ax
            levels = [(img, ax, ay)]
            while min(levels[-1][0].shape[:2]) > 16 and len(levels) < 4:
                prev, px, py = levels[-1]
                small = cv2.resize(prev, (max(1, prev.shape[1] // 2), max(1, prev.shape[0] // 2)),
                                   interpolation=cv2.INTER_AREA)
                levels.append((small, px * small.shape[1] / prev.shape[1], py * small.shape[0] / prev.shape[0]))
            self._pyramids[key] = levels
        return self._pyramids[key]

    def layer(self, i: int) -> _Layer:
        levels = self._prepared(int(self.pose[i]), bool(self.mirror[i]))
        s, level = float(self.scale[i]), 0
        while level + 1 < len(levels) and s * 2 ** (level + 1) <= 1.0:
            level += 1
        img, ax, ay = levels[level]
        k, sh = s * 2 ** level, float(self.slope[i]) * self.cutout.shear
        fx, fy = self.pos[i]
        lean = abs(sh) * k * max(ax, img.shape[1] - ax)  # how far the shear moves a corner up or down
        x0, y0 = int(np.floor(fx - k * ax)) - 2, int(np.floor(fy - k * ay - lean)) - 2
        w, h = int(np.ceil(k * img.shape[1])) + 5, int(np.ceil(k * img.shape[0] + 2 * lean)) + 5
        m = np.array([[k, 0.0, fx - k * ax - x0], [sh * k, k, fy - k * ay - y0 - sh * k * ax]])
        warped = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        warped = cv2.GaussianBlur(warped, (0, 0), SOFTNESS)
        return _Layer(float(fy), self.actor.id, (x0, y0, w, h), warped[:, :, :3], warped[:, :, 3],
                      self.actor.id, float(self.slope[i]), float(fx))


def _look(bgra: np.ndarray, cast: Cast) -> np.ndarray:
    """The cut-out as this cast plays it: hue rotated (saturated pixels only), brightness gain; float32 BGRA."""
    bgr = bgra[:, :, :3]
    if cast.hue:
        hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
        coloured = hsv[:, :, 1] > 60
        hsv[:, :, 0][coloured] = ((hsv[:, :, 0][coloured].astype(np.int32) + round(cast.hue / 2)) % 180)
        bgr = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
    out = np.empty(bgra.shape, np.float32)
    out[:, :, :3] = np.clip(bgr.astype(np.float32) * cast.gain, 0, 255)
    out[:, :, 3] = bgra[:, :, 3].astype(np.float32) / 255.0
    return out


def _static_layer(static: Static, index: int) -> _Layer:
    x1, y1, x2, y2 = static.entry.box
    track = -1 - index if static.entry.cls else None  # replaced by the parked track's id by the caller
    return _Layer(static.entry.depth, 100000 + index, (x1, y1, x2 - x1, y2 - y1), None, static.alpha, track)


def _clip(roi: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[slice, slice, slice, slice] | None:
    """(frame rows, frame cols, layer rows, layer cols) of the part of a layer inside the picture."""
    x0, y0, w, h = roi
    fx1, fy1, fx2, fy2 = max(0, x0), max(0, y0), min(size[0], x0 + w), min(size[1], y0 + h)
    if fx2 <= fx1 or fy2 <= fy1:
        return None
    return slice(fy1, fy2), slice(fx1, fx2), slice(fy1 - y0, fy2 - y0), slice(fx1 - x0, fx2 - x0)


def _shadow(img: np.ndarray, layer: _Layer) -> None:
    """Darken the ground right under a vehicle (overcast light: a soft contact shadow along the bottom of its mask,
    reaching a few pixels below it)."""
    part = _clip(layer.roi, (img.shape[1], img.shape[0]))
    if part is None:
        return
    drop = np.zeros_like(layer.alpha)
    drop[2:] = layer.alpha[:-2]
    shade = cv2.GaussianBlur(drop, (0, 0), 1.2)
    fr, fc, lr, lc = part
    img[fr, fc] = (img[fr, fc].astype(np.float32) * (1.0 - SHADOW * shade[lr, lc])[:, :, None]).astype(np.uint8)


def _paint(img: np.ndarray, background: np.ndarray, layer: _Layer, zbuf: np.ndarray) -> None:
    """Paint the layer where it lies in front of what is already painted (depth buffer `zbuf`), record that part
    of its alpha in `layer.shown`."""
    part = _clip(layer.roi, (img.shape[1], img.shape[0]))
    layer.shown = np.zeros_like(layer.alpha)
    if part is None:
        return
    fr, fc, lr, lc = part
    depth = np.broadcast_to(layer.depths()[lc][None, :], zbuf[fr, fc].shape)
    if layer.bgr is None and not (zbuf[fr, fc] > EMPTY).any():  # a static layer with nothing behind it: as is
        layer.shown[lr, lc] = layer.alpha[lr, lc]
        zbuf[fr, fc] = np.where(layer.alpha[lr, lc] >= 0.5, depth, zbuf[fr, fc])
        return
    front = depth >= zbuf[fr, fc]
    a = np.where(front, layer.alpha[lr, lc], 0.0).astype(np.float32)
    layer.shown[lr, lc] = a
    src = background[fr, fc].astype(np.float32) if layer.bgr is None else layer.bgr[lr, lc]
    img[fr, fc] = (img[fr, fc].astype(np.float32) * (1.0 - a[:, :, None]) + src * a[:, :, None] + 0.5).astype(
        np.uint8)
    zbuf[fr, fc] = np.where(a >= 0.5, depth, zbuf[fr, fc])


def _box(mask: np.ndarray, x0: int, y0: int) -> Box | None:
    if not mask.any():
        return None
    x, y, w, h = cv2.boundingRect(mask.astype(np.uint8))
    return (x0 + x, y0 + y, x0 + x + w, y0 + y + h)


def _measure(layers: list[_Layer], size: tuple[int, int]) -> list[Seen]:
    """Last painted to first: what each tracked layer shows through the layers painted over it."""
    through = np.ones((size[1], size[0]), np.float32)
    seen = []
    for layer in reversed(layers):
        part = _clip(layer.roi, size)
        total = int((layer.alpha >= 0.5).sum())
        if part is None:
            if layer.track is not None:
                seen.append(Seen(layer.track, None, None, 0, total))
            continue
        fr, fc, lr, lc = part
        shown = layer.shown[lr, lc] if layer.shown is not None else layer.alpha[lr, lc]
        if layer.track is not None:
            vis = shown * through[fr, fc] >= 0.5
            x0, y0 = fc.start, fr.start
            full = layer.alpha[lr, lc] >= 0.5
            seen.append(Seen(layer.track, _box(vis, x0, y0), _box(full, x0, y0), int(vis.sum()), total))
        through[fr, fc] *= 1.0 - shown
    return seen


def render_real(scene: RealScene, seed: int = 0, lib: Library | None = None,
                parked_ids: dict[str, int] | None = None) -> Iterator[tuple[np.ndarray, list[Seen]]]:
    """(frame, what is seen) for every frame of the clip; deterministic for (scene, seed). `parked_ids` gives the
    parked vehicles of the background their truth ids (by static name)."""
    lib = lib or library()
    sc = scene.scenario
    times = sc.times()
    players = [_Player(a, scene.casts[a.id], lib.cutouts[scene.casts[a.id].cutout], times) for a in sc.actors]
    statics = []
    for i, st in enumerate(lib.statics):
        layer = _static_layer(st, i)
        if layer.track is not None:
            layer.track = (parked_ids or {}).get(st.entry.name)
        statics.append(layer)
    rng = np.random.default_rng([seed, 4099])
    gain = 1.0 if seed == 0 else float(rng.uniform(0.9, 1.08))
    base = np.clip(lib.background.astype(np.float32) * gain, 0, 255)
    bank = [np.clip(base + rng.normal(0, NOISE_SIGMA, (*base.shape[:2], 1)), 0, 255).astype(np.uint8)
            for _ in range(6)]
    picks = rng.integers(len(bank), size=len(times))
    zbuf = np.empty((sc.size[1], sc.size[0]), np.float32)
    for i in range(len(times)):
        img = bank[picks[i]].copy()
        zbuf.fill(EMPTY)
        layers = [p.layer(i) for p in players if p.active[i]] + statics
        layers.sort(key=lambda ly: (ly.depth, ly.key))
        for layer in layers:
            if layer.bgr is not None and scene.casts[layer.key].shadow:
                _shadow(img, layer)
            _paint(img, bank[picks[i]], layer, zbuf)
        yield img, _measure(layers, sc.size)
