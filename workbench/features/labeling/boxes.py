"""Boxes in pixels and their Label Studio (percent of the image) and YOLO (normalised centre) forms."""

from __future__ import annotations

from dataclasses import dataclass

from label_studio_sdk.converter.utils import convert_annotation_to_yolo


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in pixels (`x2`, `y2` exclusive) with its class name and, for predictions, a score."""

    cls: str
    x1: float
    y1: float
    x2: float
    y2: float
    score: float | None = None

    def ls_value(self, width: int, height: int) -> dict[str, float]:
        """Label Studio's rectangle value: top-left corner and size in percent of the image."""
        return {"x": 100.0 * self.x1 / width, "y": 100.0 * self.y1 / height,
                "width": 100.0 * (self.x2 - self.x1) / width, "height": 100.0 * (self.y2 - self.y1) / height,
                "rotation": 0}


def clip_percent(value: dict) -> dict | None:
    """A rectangle value clipped to the image (0..100 %), or None when nothing of it is inside."""
    x1, y1 = max(0.0, float(value["x"])), max(0.0, float(value["y"]))
    x2 = min(100.0, float(value["x"]) + float(value["width"]))
    y2 = min(100.0, float(value["y"]) + float(value["height"]))
    if x2 <= x1 or y2 <= y1:
        return None
    return {**value, "x": x1, "y": y1, "width": x2 - x1, "height": y2 - y1}


def yolo_box(value: dict) -> tuple[float, float, float, float] | None:
    """(cx, cy, w, h) normalised to 0..1 from a Label Studio rectangle value (clipped); None for an empty box.

    Rotated boxes are not supported by plain YOLO detection and are taken unrotated.
    """
    clipped = clip_percent(value)
    return convert_annotation_to_yolo(clipped) if clipped else None


def yolo_line(class_id: int, box: tuple[float, float, float, float]) -> str:
    return f"{class_id} " + " ".join(f"{v:.8f}" for v in box)
