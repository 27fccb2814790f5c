"""Find standing/walking people with OpenCV's HOG + linear SVM detector (no model weights to install)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np
import supervision as sv
from pydantic import Field

from workbench.core.block import Block, BlockConfig, StreamContext
from workbench.core.frames import Frame
from workbench.core.kinds import Kind, Port


class HogPeopleConfig(BlockConfig):
    resize_width: int = Field(0, ge=0, le=4096,
                              description="Search a copy of the frame resized to this width (pixels); boxes are mapped "
                                          "back to the full frame. Smaller is faster; the detector finds people about "
                                          "100 px tall or more, so enlarge (e.g. 1.5x) for far-away people. 0 = as is")
    win_stride: int = Field(8, ge=1, le=64, description="Step of the search window in pixels; larger is faster, "
                                                         "may miss people")
    padding: int = Field(8, ge=0, le=64, description="Extra border (pixels) around each search window")
    scale: float = Field(1.05, gt=1.0, le=2.0, description="Size step between search scales; smaller finds more "
                                                           "sizes but is slower")
    hit_threshold: float = Field(0.0, ge=-2.0, le=5.0, description="SVM score a window needs to count as a person; "
                                                                  "raise it to drop false alarms")
    nms_iou: float = Field(0.3, ge=0.0, le=1.0, description="Boxes overlapping more than this (IoU) are merged into "
                                                             "the most confident one")
    min_confidence: float = Field(0.5, ge=0.0, le=1.0, description="Drop people below this confidence (0-1; the "
                                                                   "SVM score squashed to 0-1, 0.5 = on the boundary)")


def _hog() -> cv2.HOGDescriptor:
    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    return hog


class HogPeople(Block[HogPeopleConfig]):
    """Find people in each frame with OpenCV's classic HOG people detector; needs no weights, runs on any CPU."""

    type_id = "detection/hog_people@v1"
    Config = HogPeopleConfig
    inputs = (Port("image", Kind.IMAGE, description="Frame to search"),)
    outputs = (Port("detections", Kind.DETECTIONS, description="Boxes around people (class 'person')"),)

    @classmethod
    def output_classes(cls, config: BlockConfig, upstream: frozenset[str] | None) -> frozenset[str]:
        return frozenset({"person"})

    def start(self, ctx: StreamContext) -> cv2.HOGDescriptor:
        """Each stream gets its own detector object (cheap), so streams never share OpenCV state."""
        return _hog()

    def process(self, state: cv2.HOGDescriptor, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        cfg = self.config
        image = inputs["image"].image
        height, width = image.shape[:2]
        factor = cfg.resize_width / width if cfg.resize_width and cfg.resize_width != width else 1.0
        small = image if factor == 1.0 else cv2.resize(
            image, (cfg.resize_width, max(1, round(height * factor))),
            interpolation=cv2.INTER_AREA if factor < 1.0 else cv2.INTER_LINEAR,
        )
        rects, weights = state.detectMultiScale(
            small, hitThreshold=cfg.hit_threshold, winStride=(cfg.win_stride, cfg.win_stride),
            padding=(cfg.padding, cfg.padding), scale=cfg.scale,
        )
        rects = np.asarray(rects, dtype=np.float32).reshape(-1, 4)
        scores = np.asarray(weights, dtype=np.float32).reshape(-1)
        xyxy = np.column_stack([rects[:, :2], rects[:, :2] + rects[:, 2:]]) / factor
        xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, width)
        xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, height)
        confidence = (1.0 / (1.0 + np.exp(-scores))).astype(np.float32)
        dets = sv.Detections(
            xyxy=xyxy.astype(np.float32), confidence=confidence, class_id=np.zeros(len(xyxy), dtype=int),
            data={"class_name": np.array(["person"] * len(xyxy), dtype=str)},
        )
        dets = dets[dets.confidence >= cfg.min_confidence]
        if len(dets) > 1:
            dets = dets.with_nms(threshold=cfg.nms_iou, class_agnostic=True)
        return {"detections": dets}
