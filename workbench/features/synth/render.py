"""Draw actors onto the background: vehicles as boxes with outline, windows and wheels; people as tall figures.

Every drawn pixel lies inside the actor's truth box and the shape fills that box's outline, so a background
subtraction detector finds the same box the truth records.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from workbench.features.synth.actors import Actor
from workbench.features.synth.scenario import Scenario
from workbench.features.synth.scene import make_background

VEHICLE_PALETTE = (
    (40, 40, 200), (180, 90, 30), (235, 235, 235), (40, 200, 230), (60, 150, 40),
    (30, 130, 240), (200, 200, 195), (150, 140, 20), (60, 30, 140), (200, 120, 200),
)
CLOTHES_PALETTE = ((140, 40, 30), (40, 40, 190), (40, 120, 40), (30, 30, 35), (20, 120, 220), (120, 40, 120))
_SKIN = (140, 170, 210)
_GLASS = (205, 185, 150)
_TYRE = (28, 28, 30)
_OUTLINE = (32, 30, 34)


def actor_colour(actor: Actor, seed: int) -> tuple[int, int, int]:
    """The actor's own colour, else a seeded pick from the palette (the same for the same seed and actor id)."""
    if actor.colour is not None:
        return actor.colour
    rng = np.random.default_rng([seed, actor.id])
    palette = CLOTHES_PALETTE if actor.cls == "person" else VEHICLE_PALETTE
    if actor.cls == "muck_truck":
        palette = ((30, 130, 240), (40, 200, 230), (30, 150, 200))
    return tuple(int(c) for c in palette[int(rng.integers(len(palette)))])  # type: ignore[return-value]


def _darker(c: tuple[int, int, int], f: float = 0.5) -> tuple[int, int, int]:
    return tuple(int(v * f) for v in c)  # type: ignore[return-value]


def draw_vehicle(img: np.ndarray, cls: str, box: np.ndarray, colour: tuple[int, int, int], heading: int) -> None:
    """A side view: body, darker outline, windows (cab at the front for trucks), two wheels."""
    x1, y1, x2, y2 = (int(v) for v in box)
    w, h = x2 - x1, y2 - y1
    cv2.rectangle(img, (x1, y1), (x2 - 1, y2 - 1), _OUTLINE, -1)  # 2 px dark outline inside the box
    cv2.rectangle(img, (x1 + 2, y1 + 2), (x2 - 3, y2 - 3), colour, -1)
    wy1, wy2 = y1 + 4, y1 + int(h * 0.45)
    if cls in ("truck", "muck_truck"):
        cab = int(w * 0.28)
        cx1 = x2 - cab if heading >= 0 else x1
        cv2.rectangle(img, (cx1 + 4, wy1), (cx1 + cab - 5, wy2), _GLASS, -1)
        bx1, bx2 = (x1 + 4, x2 - cab - 2) if heading >= 0 else (x1 + cab + 2, x2 - 5)
        cv2.line(img, (bx1, y1 + h // 2), (bx2, y1 + h // 2), _darker(colour, 0.7), 2)
        if cls == "muck_truck":  # heap of earth in the open bed
            cv2.rectangle(img, (bx1 + 2, y1 + 3), (bx2 - 2, y1 + h // 2 - 3), (60, 95, 120), -1)
    elif cls == "bus":
        for wx in range(x1 + 6, x2 - 14, 16):
            cv2.rectangle(img, (wx, wy1), (wx + 11, wy2), _GLASS, -1)
    else:
        cv2.rectangle(img, (x1 + int(w * 0.22), wy1), (x1 + int(w * 0.48), wy2), _GLASS, -1)
        cv2.rectangle(img, (x1 + int(w * 0.52), wy1), (x1 + int(w * 0.78), wy2), _GLASS, -1)
    r = max(3, int(h * 0.18))
    for wx in (x1 + int(w * 0.2), x2 - int(w * 0.2)):
        cv2.circle(img, (wx, y2 - r - 1), r, _TYRE, -1)


def draw_person(img: np.ndarray, box: np.ndarray, colour: tuple[int, int, int]) -> None:
    """Head, torso in clothing colour, dark legs; the figure fills its box."""
    x1, y1, x2, y2 = (int(v) for v in box)
    w, h = x2 - x1, y2 - y1
    head = max(3, w // 2 - 1)
    cv2.rectangle(img, (x1 + 2, y1 + 2 * head), (x2 - 1, y1 + int(h * 0.62)), colour, -1)
    cv2.rectangle(img, (x1 + 3, y1 + int(h * 0.62)), (x2 - 2, y2 - 1), (55, 50, 60), -1)
    cv2.rectangle(img, (x1, y1 + 2 * head + 2), (x2 - 1, y1 + int(h * 0.55)), colour, -1)  # arms span the width
    cv2.circle(img, ((x1 + x2) // 2, y1 + head), head, _SKIN, -1)


def render_frames(scenario: Scenario, seed: int = 0) -> Iterator[np.ndarray]:
    """Every frame of the clip as a (H, W, 3) BGR uint8 array, in order; deterministic for (scenario, seed)."""
    bg = make_background(seed)
    times = scenario.times()
    tracks = []
    for actor in scenario.actors:
        boxes, active = actor.boxes(times)
        pos, _ = actor.positions(times)
        dx = np.diff(pos[:, 0], prepend=pos[0, 0])
        heading = np.sign(dx).astype(int)
        for i in range(1, len(heading)):  # keep facing the last direction while stopped
            if heading[i] == 0:
                heading[i] = heading[i - 1]
        tracks.append((actor, actor_colour(actor, seed), boxes, active, heading))
    rng = np.random.default_rng([seed, 7919])
    picks = rng.integers(len(bg.noisy), size=len(times))
    for i in range(len(times)):
        img = bg.noisy[picks[i]].copy()
        for actor, colour, boxes, active, heading in tracks:
            if not active[i]:
                continue
            if actor.cls == "person":
                draw_person(img, boxes[i], colour)
            else:
                draw_vehicle(img, actor.cls, boxes[i], colour, int(heading[i]))
        yield img
