"""Find moving things by background subtraction (no model weights): whatever differs from the learned background."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import cv2
import numpy as np
import supervision as sv
from pydantic import Field, field_validator, model_validator

from workbench.core.block import Block, BlockConfig, StreamContext
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port

_SHADOW_CUT = 200  # MOG2/KNN mark foreground 255 and shadows 127: keep only the former


class MotionConfig(BlockConfig):
    method: Literal["mog2", "knn"] = Field(
        "mog2", description="Background model: mog2 (Gaussian mixture) or knn (nearest neighbours; try in rain, trees)"
    )
    history: int = Field(500, ge=1, le=100_000, description="Frames the background model remembers")
    var_threshold: float = Field(16.0, gt=0.0, le=10_000.0,
                                 description="How different a pixel must be to count as moving (mog2: squared "
                                             "distance in variances, default 16; knn: squared distance, try 400)")
    detect_shadows: bool = Field(True, description="Recognise shadows and drop them (slightly slower)")
    learning_rate: float = Field(
        -1.0, ge=-1.0, le=1.0,
        description="How fast the background absorbs what stopped moving. -1 = automatic: a stopped object fades "
                    "into the background within a few seconds. Smaller values keep it visible longer, with mog2 for "
                    "about 0.1 / learning_rate frames (0.0001 = about 1000 frames, 40 s at 25 fps): use that for "
                    "parking and stopped-object rules. 0 = never update the background",
    )
    blur: int = Field(5, ge=0, le=51, description="Blur kernel (odd pixels, 0 = none) applied first to calm noise")
    open_kernel: int = Field(3, ge=0, le=51, description="Erase specks smaller than this many pixels (0 = keep all)")
    dilate_iterations: int = Field(2, ge=0, le=20, description="Grow blobs this many times so parts of one object join")
    min_area: int = Field(400, ge=1, le=10_000_000, description="Ignore blobs smaller than this many pixels (box area)")
    max_area: int | None = Field(None, ge=1, le=100_000_000,
                                 description="Ignore blobs larger than this many pixels (e.g. a camera shake); "
                                             "empty = no limit")
    warmup_frames: int = Field(50, ge=0, le=100_000, description="Report nothing for this many frames while the "
                                                                  "background is learned (at the automatic rate)")
    class_name: str = Field("object", min_length=1, max_length=64, description="Class name given to every detection")

    @field_validator("blur")
    @classmethod
    def _odd_blur(cls, v: int) -> int:
        if v and v % 2 == 0:
            raise ValueError("blur must be 0 or an odd number of pixels")
        return v

    @model_validator(mode="after")
    def _area_order(self) -> MotionConfig:
        if self.max_area is not None and self.max_area < self.min_area:
            raise ValueError("max_area must be at least min_area")
        return self


@dataclass
class MotionState:
    """One stream's background model and how many frames it has seen."""

    subtractor: cv2.BackgroundSubtractor
    frames: int = 0


class MotionDetector(Block[MotionConfig]):
    """Find moving objects by comparing each frame with a learned background; fast, needs no weights."""

    type_id = "detection/motion@v1"
    Config = MotionConfig
    inputs = (Port("image", Kind.IMAGE, description="Frame to compare with the background"),)
    outputs = (Port("detections", Kind.DETECTIONS, description="Boxes around moving blobs"),)

    @classmethod
    def output_classes(cls, config: MotionConfig, upstream: frozenset[str] | None) -> frozenset[str]:
        return frozenset({config.class_name})

    def start(self, ctx: StreamContext) -> MotionState:
        cfg = self.config
        if cfg.method == "knn":
            sub = cv2.createBackgroundSubtractorKNN(history=cfg.history, dist2Threshold=cfg.var_threshold,
                                                    detectShadows=cfg.detect_shadows)
        else:
            sub = cv2.createBackgroundSubtractorMOG2(history=cfg.history, varThreshold=cfg.var_threshold,
                                                     detectShadows=cfg.detect_shadows)
        return MotionState(subtractor=sub)

    def _mask(self, state: MotionState, image: np.ndarray) -> np.ndarray:
        cfg = self.config
        if cfg.blur:
            image = cv2.GaussianBlur(image, (cfg.blur, cfg.blur), 0)
        learning = state.frames < cfg.warmup_frames  # learn the background quickly first, then at the set rate
        raw = state.subtractor.apply(image, learningRate=-1.0 if learning else cfg.learning_rate)
        _, mask = cv2.threshold(raw, _SHADOW_CUT, 255, cv2.THRESH_BINARY)
        if cfg.open_kernel:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (cfg.open_kernel, cfg.open_kernel))
            mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        if cfg.dilate_iterations:
            mask = cv2.dilate(mask, np.ones((3, 3), np.uint8), iterations=cfg.dilate_iterations)
        return mask

    def process(self, state: MotionState, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        cfg = self.config
        mask = self._mask(state, inputs["image"].image)
        state.frames += 1
        boxes: list[tuple[int, int, int, int]] = []
        scores: list[float] = []
        if state.frames > cfg.warmup_frames:
            contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            for contour in contours:
                x, y, w, h = cv2.boundingRect(contour)
                area = w * h
                if area < cfg.min_area or (cfg.max_area is not None and area > cfg.max_area):
                    continue
                boxes.append((x, y, x + w, y + h))
                scores.append(float(np.count_nonzero(mask[y:y + h, x:x + w])) / area)
        n = len(boxes)
        dets = sv.Detections(
            xyxy=np.array(boxes, dtype=np.float32).reshape(-1, 4),
            confidence=np.array(scores, dtype=np.float32),
            class_id=np.zeros(n, dtype=int),
            data={"class_name": np.array([cfg.class_name] * n, dtype=str)},
        )
        return {"detections": dets}
