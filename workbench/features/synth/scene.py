"""The synthetic street scene: fixed geometry (lanes, sidewalks, site, fire lane) and its seeded background image.

The camera looks at a two-lane street from the side (640x360). From top to bottom:
a fenced construction site (left) and lawn with roofs (right), the upper sidewalk, the westbound lane, the eastbound
lane, the curb lane with a marked fire lane, the lower sidewalk. Actors stand on their bottom-centre point, so every
lane and sidewalk is described by the y of that point (`*_Y` constants below).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WIDTH, HEIGHT, FPS = 640, 360, 25.0

# Horizontal bands (y ranges, pixels)
SITE = (0, 300, 0, 100)  # x1, x2, y1, y2 of the fenced construction site
GATE_X = (165, 265)  # the opening in the site's fence (x range)
UPPER_WALK = (100, 128)
ROAD = (128, 250)
LANE_SPLIT_Y = 188
CURB_LANE = (250, 298)
FIRE_LANE_X = (300, 580)
LOWER_WALK = (298, 360)

# Where actors' bottom-centre points travel (y)
UPPER_WALK_Y = 122
WEST_LANE_Y = 180  # westbound (moving left)
EAST_LANE_Y = 240  # eastbound (moving right)
CURB_Y = 290  # stopped in the curb lane / fire lane
LOWER_WALK_Y = 350

# Colours (BGR)
_GRASS = (70, 125, 80)
_DIRT = (95, 135, 165)
_WALK = (178, 180, 176)
_ROAD = (88, 88, 90)
_CURB = (100, 100, 104)
_WHITE = (225, 225, 225)
_YELLOW = (60, 200, 230)
_RED = (40, 40, 200)
_FENCE = (60, 60, 60)


@dataclass(frozen=True)
class Background:
    """A seeded background: the static image plus a small bank of noisy copies used frame by frame."""

    image: np.ndarray
    noisy: tuple[np.ndarray, ...]


def _texture(rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """Low-frequency blotches plus fine grain, float32 (H, W, 1), zero mean."""
    coarse = rng.normal(0.0, 1.0, (HEIGHT // 20, WIDTH // 20)).astype(np.float32)
    coarse = cv2.resize(coarse, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    fine = rng.normal(0.0, 0.5, (HEIGHT, WIDTH)).astype(np.float32)
    return ((coarse + fine) * amplitude)[:, :, None]


def draw_static(img: np.ndarray) -> None:
    """Paint the scene layout (no texture) onto a (HEIGHT, WIDTH, 3) uint8 image in place."""
    img[:] = _GRASS
    x1, x2, y1, y2 = SITE
    img[y1:y2, x1:x2] = _DIRT
    # roofs of buildings behind the lawn
    roofs = ((340, 110, 70, (120, 110, 150)), (470, 80, 55, (150, 140, 130)), (565, 75, 80, (110, 120, 160)))
    for bx, bw, bh, col in roofs:
        cv2.rectangle(img, (bx, UPPER_WALK[0] - 8 - bh), (bx + bw, UPPER_WALK[0] - 8), col, -1)
        cv2.rectangle(img, (bx, UPPER_WALK[0] - 8 - bh), (bx + bw, UPPER_WALK[0] - 8), (70, 70, 80), 2)
    # sidewalks with tile joints
    for ya, yb in (UPPER_WALK, LOWER_WALK):
        img[ya:yb] = _WALK
        for x in range(0, WIDTH, 32):
            cv2.line(img, (x, ya), (x, yb), (155, 157, 153), 1)
    # road, curb lane, markings
    img[ROAD[0]:ROAD[1]] = _ROAD
    img[CURB_LANE[0]:CURB_LANE[1]] = _CURB
    cv2.line(img, (0, ROAD[0] + 2), (WIDTH, ROAD[0] + 2), _WHITE, 2)
    cv2.line(img, (0, ROAD[1]), (WIDTH, ROAD[1]), _WHITE, 2)
    for x in range(0, WIDTH, 40):
        cv2.line(img, (x, LANE_SPLIT_Y), (x + 22, LANE_SPLIT_Y), _YELLOW, 2)
    # fire lane: red frame, hatching, lettering
    fx1, fx2 = FIRE_LANE_X
    fy1, fy2 = CURB_LANE[0] + 3, CURB_LANE[1] - 3
    for x in range(fx1, fx2, 18):
        cv2.line(img, (x, fy2), (min(x + (fy2 - fy1), fx2), fy1), (70, 70, 150), 1)
    cv2.rectangle(img, (fx1, fy1), (fx2, fy2), _RED, 2)
    cv2.putText(img, "FIRE LANE", (fx1 + 80, fy2 - 14), cv2.FONT_HERSHEY_SIMPLEX, 0.6, _RED, 2, cv2.LINE_AA)
    # fence around the site with a gate opening
    fy = SITE[3]
    for xa, xb in ((SITE[0], GATE_X[0]), (GATE_X[1], SITE[1])):
        cv2.line(img, (xa, fy - 14), (xb, fy - 14), _FENCE, 1)
        cv2.line(img, (xa, fy - 4), (xb, fy - 4), _FENCE, 1)
        for x in range(xa, xb + 1, 12):
            cv2.line(img, (x, fy - 18), (x, fy), _FENCE, 2)
    cv2.line(img, (SITE[1], 0), (SITE[1], fy), _FENCE, 2)
    for gx in GATE_X:
        cv2.rectangle(img, (gx - 3, fy - 24), (gx + 3, fy), (40, 40, 160), -1)
    # a few heaps of material in the site
    for cx, cy, r in ((50, 40, 22), (110, 70, 16), (250, 25, 18)):
        cv2.ellipse(img, (cx, cy), (r + 10, r // 2 + 4), 0, 180, 360, (80, 110, 140), -1)


def make_background(seed: int, noise_sigma: float = 1.6, bank: int = 8) -> Background:
    """The static scene with seeded texture, and `bank` copies with mild sensor noise (picked per frame)."""
    rng = np.random.default_rng(seed)
    img = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    draw_static(img)
    textured = np.clip(img.astype(np.float32) + _texture(rng, 5.0), 0, 255).astype(np.uint8)
    noisy = []
    for _ in range(bank):
        noise = rng.normal(0.0, noise_sigma, (HEIGHT, WIDTH, 1)).astype(np.float32)
        noisy.append(np.clip(textured.astype(np.float32) + noise, 0, 255).astype(np.uint8))
    return Background(image=textured, noisy=tuple(noisy))
