"""Camera domains for domain-shift experiments: which synthetic clips a "camera" sees and how its picture looks.

The renderer draws one street in daylight. A domain adds a camera look on top of rendered frames (dusk: darker,
blue cast, softer focus, more sensor noise), so two domains differ visibly without changing the generator:

    data_yaml = build_synthetic_dataset(out, train=SITE_DUSK.clips(3), val=SITE_DUSK.clips(2, first_seed=3))
    restyle_images(out / "images", SITE_DUSK.look)      # boxes are unchanged: the look moves no pixel

A look only changes colours, brightness, sharpness and noise, never geometry, so the truth boxes stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


@dataclass(frozen=True)
class Look:
    """A camera's picture: per-channel gain (BGR), gamma (>1 darkens mid-tones), blur sigma and noise sigma."""

    name: str
    gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
    gamma: float = 1.0
    blur_sigma: float = 0.0
    noise_sigma: float = 0.0

    def apply(self, img: np.ndarray, seed: int = 0) -> np.ndarray:
        """The BGR uint8 frame as this camera sees it; deterministic for (frame, seed)."""
        out = img.astype(np.float32) / 255.0
        if self.gamma != 1.0:
            out = np.power(out, self.gamma)
        out *= np.asarray(self.gain, np.float32)
        if self.blur_sigma > 0:
            out = cv2.GaussianBlur(out, (0, 0), self.blur_sigma)
        out *= 255.0
        if self.noise_sigma > 0:
            rng = np.random.default_rng(seed)
            out += rng.normal(0.0, self.noise_sigma, (*out.shape[:2], 1)).astype(np.float32)
        return np.clip(out, 0, 255).astype(np.uint8)


DAYLIGHT = Look("daylight")
DUSK = Look("dusk", gain=(0.62, 0.45, 0.36), gamma=1.5, blur_sigma=0.8, noise_sigma=5.0)


@dataclass(frozen=True)
class Domain:
    """A camera: the scenarios it watches and its look. `clips(n)` names n distinct clips (scenario, seed)."""

    name: str
    scenarios: tuple[str, ...]
    look: Look = DAYLIGHT

    def clips(self, n: int, first_seed: int = 0) -> list[tuple[str, int]]:
        """n clips, cycling through the scenarios, each with its own seed (colours and textures differ per seed)."""
        return [(self.scenarios[i % len(self.scenarios)], first_seed + i) for i in range(n)]


# Domain A: a street camera in daylight (cars, vans, trucks, buses, pedestrians; no muck trucks).
STREET_DAY = Domain("street_day", ("traffic", "demo", "fire_lane"), DAYLIGHT)
# Domain B: a camera at a construction-site gate at dusk (muck trucks leave the site; other traffic passes).
SITE_DUSK = Domain("site_dusk", ("muck_truck",), DUSK)
DOMAINS = {d.name: d for d in (STREET_DAY, SITE_DUSK)}


def restyle_images(folder: str | Path, look: Look, seed: int = 0) -> int:
    """Rewrite every .jpg under `folder` (recursively) with `look`; returns the number of images rewritten."""
    count = 0
    for i, path in enumerate(sorted(Path(folder).rglob("*.jpg"))):
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            continue
        cv2.imwrite(str(path), look.apply(img, seed + i), [cv2.IMWRITE_JPEG_QUALITY, 90])
        count += 1
    return count
