"""Objects cut out of real photos: a committed table of (picture, box, class), segmented at run time.

Each box is segmented with `cv2.grabCut` initialised with the box (on a copy scaled to at most SEGMENT_SIZE pixels),
the largest connected part is kept, holes are filled and the edge is feathered, so the object moves, not its
rectangle of background. Pictures that carry drawn annotations (detection boxes of the OpenCV tutorials) are
cleaned first: the saturated annotation colour is painted out with `cv2.inpaint`.

A cut-out is stored as BGRA (alpha = the feathered mask) tight around the object; its anchor is the bottom-centre
of the pixels with alpha >= 128 (where the object touches the ground).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

SEGMENT_SIZE = 320  # longest side of the picture grabCut works on
FEATHER_SIGMA = 0.8  # Gaussian sigma (pixels of the cut-out) of the soft edge


Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class PhotoEntry:
    """One object in a picture: `box` x1, y1, x2, y2 in the picture's pixels; `facing` is where the object's front
    points in the picture (right, left, front = towards the camera, rear = away from it); `height_m` its real height;
    `clean` the colour of drawn annotations to paint out (red, blue); the hints are boxes in the picture's pixels."""

    name: str
    source: str
    box: Box
    cls: str
    height_m: float
    facing: str
    clean: str | None = None
    background: tuple[Box, ...] = ()  # hints for grabCut: parts of the box that belong to something else
    foreground: tuple[Box, ...] = ()  # hints for grabCut: parts that surely belong to the object
    inpaint: tuple[Box, ...] = ()  # thin things in front of the object (a pole), painted out before segmenting
    shear: float = 0.0  # 1: a flat side view, sheared to follow a slanted road; 0: the photo has its own perspective


# The table: every object the real-pixel scenes use. Pixels are read from the installed files at run time.
PHOTOS: tuple[PhotoEntry, ...] = (
    PhotoEntry("double_decker", "html:pexels_double_decker_bus.jpg", (62, 106, 478, 392), "bus", 4.4, "right"),
    PhotoEntry("red_bus", "html:bus_det.jpg", (6, 110, 398, 340), "bus", 3.1, "right", clean="blue",
               foreground=((16, 262, 90, 296), (60, 262, 118, 300)), shear=1.0),
    PhotoEntry("silver_mpv", "html:detect_test2.jpg", (926, 218, 1103, 298), "car", 1.7, "right",
               inpaint=((984, 200, 998, 300),),
               background=((964, 285, 1032, 298), (1062, 291, 1103, 298), (926, 288, 944, 298))),
    PhotoEntry("dark_car", "html:detect_test2.jpg", (758, 230, 858, 280), "car", 1.45, "right",
               inpaint=((824, 226, 832, 280),)),
    PhotoEntry("silver_hatch", "html:motion_original.jpg", (250, 115, 515, 302), "car", 1.55, "rear", clean="red",
               foreground=((300, 140, 480, 250), (420, 170, 490, 255), (265, 130, 300, 240))),
    PhotoEntry("white_car", "html:camshift_result.jpg", (178, 368, 300, 462), "car", 1.4, "front", clean="blue"),
    PhotoEntry("van_rear", "vtest", (648, 40, 729, 103), "van", 2.3, "rear"),
    PhotoEntry("person_coat", "ultralytics:bus.jpg", (45, 395, 250, 910), "person", 1.8, "front",
               background=((205, 400, 300, 830), (150, 620, 200, 740), (112, 850, 168, 910)),
               foreground=((85, 425, 120, 470),)),
    PhotoEntry("person_black", "ultralytics:bus.jpg", (218, 400, 348, 865), "person", 1.75, "front",
               background=((200, 400, 232, 700),)),
)
PHOTO_BY_NAME = {p.name: p for p in PHOTOS}


@dataclass(frozen=True)
class Cutout:
    """A real object ready to composite: one BGRA frame (photos) or a walk cycle (people from vtest.avi).

    `height_px` is the object's height in the frames' pixels (the median over a walk cycle); `stride` the distance
    a walker moves per frame of the cycle, in object heights (0 for photos); `shear` as in PhotoEntry."""

    name: str
    cls: str
    height_m: float
    facing: str
    frames: tuple[np.ndarray, ...]
    height_px: float
    stride: float = 0.0
    shear: float = 0.0
    anchors: tuple[tuple[float, float], ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchors", tuple(anchor(f[:, :, 3]) for f in self.frames))


def anchor(alpha: np.ndarray) -> tuple[float, float]:
    """Bottom-centre (x, y) of the alpha >= 128 pixels: x = middle of their columns, y = one past the lowest row."""
    x, y, w, h = cv2.boundingRect((alpha >= 128).astype(np.uint8))
    return x + w / 2.0, float(y + h)


def mask_height(alpha: np.ndarray) -> int:
    return cv2.boundingRect((alpha >= 128).astype(np.uint8))[3]


def clean_annotations(img: np.ndarray, colour: str | None) -> np.ndarray:
    """Paint out lines drawn in pure `colour` (red or blue) with cv2.inpaint (Telea)."""
    if colour is None:
        return img
    b, g, r = (img[:, :, i].astype(np.int16) for i in range(3))
    drawn = (b - np.maximum(g, r) > 60) if colour == "blue" else (r - np.maximum(g, b) > 60)
    drawn = cv2.dilate(drawn.astype(np.uint8), np.ones((3, 3), np.uint8))
    return cv2.inpaint(img, drawn, 3, cv2.INPAINT_TELEA)


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """The largest connected part of a 0/1 mask with its holes filled."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return mask.astype(np.uint8)
    keep = (labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
    contours, _ = cv2.findContours(keep, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros_like(keep)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return filled


def feathered(mask: np.ndarray, sigma: float = FEATHER_SIGMA) -> np.ndarray:
    """uint8 alpha: the 0/1 mask blurred so its edge falls off over a couple of pixels (0.5 stays on the edge)."""
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma)
    return np.clip(soft * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _seed_mask(shape: tuple[int, int], rect: Box, background: tuple[Box, ...],
               foreground: tuple[Box, ...]) -> np.ndarray:
    """grabCut's starting labels: outside the box and in `background` boxes sure background, inside the box
    probably foreground, a small ellipse in the box's centre and the `foreground` boxes sure foreground."""
    x, y, w, h = rect
    mask = np.full(shape, cv2.GC_BGD, np.uint8)
    mask[y:y + h, x:x + w] = cv2.GC_PR_FGD
    cv2.ellipse(mask, (x + w // 2, y + h // 2), (max(1, w // 6), max(1, h // 4)), 0, 0, 360, cv2.GC_FGD, -1)
    for bx1, by1, bx2, by2 in foreground:
        mask[by1:by2, bx1:bx2] = cv2.GC_FGD
    for bx1, by1, bx2, by2 in background:
        mask[by1:by2, bx1:bx2] = cv2.GC_BGD
    return mask


def grabcut_box(img: np.ndarray, box: Box, background: tuple[Box, ...] = (), foreground: tuple[Box, ...] = (),
                iterations: int = 5) -> np.ndarray:
    """0/1 mask (the picture's size) of the object inside `box`, by grabCut on a copy of at most SEGMENT_SIZE px."""
    x1, y1, x2, y2 = box
    pad = max(8, (x2 - x1) // 12)
    X1, Y1 = max(0, x1 - pad), max(0, y1 - pad)
    X2, Y2 = min(img.shape[1], x2 + pad), min(img.shape[0], y2 + pad)
    crop = img[Y1:Y2, X1:X2]
    f = min(1.0, SEGMENT_SIZE / max(crop.shape[:2]))
    small = cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else crop

    def scaled(b: Box) -> Box:
        return (round((b[0] - X1) * f), round((b[1] - Y1) * f), round((b[2] - X1) * f), round((b[3] - Y1) * f))

    sx1, sy1, sx2, sy2 = scaled(box)
    mask = _seed_mask(small.shape[:2], (sx1, sy1, sx2 - sx1, sy2 - sy1), tuple(scaled(b) for b in background),
                      tuple(scaled(b) for b in foreground))
    cv2.setRNGSeed(0)  # grabCut's GMM initialisation draws from OpenCV's RNG: the same mask every run
    cv2.grabCut(small, mask, None, np.zeros((1, 65)), np.zeros((1, 65)), iterations, cv2.GC_INIT_WITH_MASK)
    fg = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.float32)
    if f < 1:
        fg = cv2.resize(fg, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_LINEAR)
    out = np.zeros(img.shape[:2], np.uint8)
    out[Y1:Y2, X1:X2] = fill_holes(fg >= 0.5)
    out[:y1, :], out[y2:, :], out[:, :x1], out[:, x2:] = 0, 0, 0, 0
    return out


def to_bgra(img: np.ndarray, mask: np.ndarray, pad: int = 3) -> np.ndarray:
    """A BGRA cut-out tight around the mask (plus `pad` pixels for the feathered edge)."""
    x, y, w, h = cv2.boundingRect(mask.astype(np.uint8))
    X1, Y1 = max(0, x - pad), max(0, y - pad)
    X2, Y2 = min(img.shape[1], x + w + pad), min(img.shape[0], y + h + pad)
    alpha = feathered(mask)[Y1:Y2, X1:X2]
    return np.dstack([img[Y1:Y2, X1:X2], alpha])


def photo_cutout(entry: PhotoEntry, picture: np.ndarray) -> np.ndarray:
    """The BGRA cut-out of one table entry from its (already read) picture."""
    img = clean_annotations(picture, entry.clean)
    if entry.inpaint:
        holes = np.zeros(img.shape[:2], np.uint8)
        for x1, y1, x2, y2 in entry.inpaint:
            holes[y1:y2, x1:x2] = 1
        img = cv2.inpaint(img, holes, 5, cv2.INPAINT_TELEA)
    return to_bgra(img, grabcut_box(img, entry.box, entry.background, entry.foreground))


def make_cutout(entry: PhotoEntry, bgra: np.ndarray) -> Cutout:
    return Cutout(entry.name, entry.cls, entry.height_m, entry.facing, (bgra,), float(mask_height(bgra[:, :, 3])),
                  shear=entry.shear)
