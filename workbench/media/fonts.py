"""A font that draws Chinese, and text panels drawn with it, for pictures (annotated video, the line's "in" arrow).

OpenCV's built-in fonts draw only ASCII (Chinese comes out as ???). The first of `WORKBENCH_FONT`, Debian's Noto
Sans CJK (`fonts-noto-cjk`, which `make install` adds where apt-get is available) and WenQuanYi is used; without
one, pictures fall back to English text.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import cv2
import numpy as np

FONT_ENV = "WORKBENCH_FONT"
WHITE, BLACK = (255, 255, 255), (0, 0, 0)  # BGR
KNOWN_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def cjk_font() -> Path | None:
    """The font file to draw Chinese with, or None when this machine has none."""
    wanted = os.environ.get(FONT_ENV, "").strip()
    for candidate in ([wanted] if wanted else []) + list(KNOWN_FONTS):
        path = Path(candidate).expanduser()
        if path.is_file():
            return path
    return None


@cache
def pil_font(path: str, size: int):  # -> PIL.ImageFont.FreeTypeFont
    """The font at `size` pixels, loaded once per process."""
    from PIL import ImageFont

    return ImageFont.truetype(path, size=size)


def needs_font(text: str) -> bool:
    """Text OpenCV's fonts cannot draw (anything beyond ASCII)."""
    return not text.isascii()


def panel_size(text: str, scale: float, pad: int, font: str | None) -> tuple[int, int]:
    """Width and height of the panel `draw_panel` would fill."""
    if font and needs_font(text):
        left, top, right, bottom = pil_font(font, _pixels(scale)).getbbox(text)
        return right - left + 2 * pad, bottom - top + 2 * pad
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    return w + 2 * pad, h + base + 2 * pad


def draw_panel(scene: np.ndarray, text: str, x: int, y: int, scale: float, pad: int, background: tuple[int, int, int],
               font: str | None, colour: tuple[int, int, int] = WHITE) -> None:
    """`text` on a filled box whose top-left corner is (x, y), clipped to the frame; colours are BGR."""
    w, h = panel_size(text, scale, pad, font)
    cv2.rectangle(scene, (x, y), (x + w, y + h), background, -1)
    if not (font and needs_font(text)):
        (_, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        cv2.putText(scene, text, (x + pad, y + pad + th), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)
        return
    from PIL import Image, ImageDraw

    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, scene.shape[1]), min(y + h, scene.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    patch = Image.fromarray(np.ascontiguousarray(scene[y0:y1, x0:x1, ::-1]))  # only the panel goes through PIL
    face = pil_font(font, _pixels(scale))
    left, top, _, _ = face.getbbox(text)
    ImageDraw.Draw(patch).text((x - x0 + pad - left, y - y0 + pad - top), text, font=face, fill=colour[::-1])
    scene[y0:y1, x0:x1] = np.asarray(patch)[:, :, ::-1]


def _pixels(scale: float) -> int:
    """A CJK font size that matches Hershey text of `scale` (about 30 px per 1.0)."""
    return max(10, round(30 * scale))
