"""A frame becomes the model's input tensor (letterbox or stretch, channel order, normalisation); boxes go back.

The letterbox rounds exactly like ultralytics' `LetterBox` (centred, padding split with the -0.1/+0.1 rule, each side
scaled by its own rounded ratio), so a YOLO export sees the same pixels here as under `YOLO.predict`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from workbench.models.manifest_parts import PreprocessSpec


@dataclass(frozen=True)
class Placement:
    """Where the frame landed in the model's input: scale per axis and the border before it."""

    scale_x: float
    scale_y: float
    pad_x: int
    pad_y: int
    frame_width: int
    frame_height: int

    def to_frame(self, xyxy: np.ndarray) -> np.ndarray:
        """Boxes in input pixels -> boxes in frame pixels, clipped to the frame (a new array)."""
        out = (xyxy - np.array([self.pad_x, self.pad_y, self.pad_x, self.pad_y], np.float32)) / np.array(
            [self.scale_x, self.scale_y, self.scale_x, self.scale_y], np.float32)
        np.clip(out[:, 0::2], 0, self.frame_width, out=out[:, 0::2])
        np.clip(out[:, 1::2], 0, self.frame_height, out=out[:, 1::2])
        return out.astype(np.float32, copy=False)


class Preprocessor:
    """Turns BGR frames into NCHW float32 tensors of one size, as the manifest's `preprocess` says."""

    def __init__(self, spec: PreprocessSpec, size: tuple[int, int]) -> None:
        self.spec = spec
        self.size = size  # (width, height) of the model's input
        scale = tuple(1.0 / s for s in spec.std)
        # one fused OpenCV call: optional BGR->RGB swap, mean subtraction, per-channel scale, HWC -> NCHW float32
        self._blob = cv2.dnn.Image2BlobParams(scalefactor=scale, size=size, mean=spec.mean,
                                              swapRB=spec.color == "rgb", ddepth=cv2.CV_32F)

    def __call__(self, image: np.ndarray) -> tuple[np.ndarray, Placement]:
        """The input tensor for a BGR frame (never changed) and where the frame sits in it."""
        fh, fw = image.shape[:2]
        width, height = self.size
        if self.spec.resize == "stretch":
            canvas = image if (fw, fh) == (width, height) else cv2.resize(image, (width, height))
            placement = Placement(width / fw, height / fh, 0, 0, fw, fh)
        else:
            canvas, placement = self._letterbox(image)
        return cv2.dnn.blobFromImageWithParams(canvas, self._blob), placement

    def _letterbox(self, image: np.ndarray) -> tuple[np.ndarray, Placement]:
        fh, fw = image.shape[:2]
        width, height = self.size
        ratio = min(width / fw, height / fh)
        new_w, new_h = max(round(fw * ratio), 1), max(round(fh * ratio), 1)
        resized = image if (new_w, new_h) == (fw, fh) else cv2.resize(image, (new_w, new_h),
                                                                        interpolation=cv2.INTER_LINEAR)
        dw, dh = (width - new_w) / 2, (height - new_h) / 2
        top, bottom, left, right = round(dh - 0.1), round(dh + 0.1), round(dw - 0.1), round(dw + 0.1)
        canvas = cv2.copyMakeBorder(resized, top, bottom, left, right, cv2.BORDER_CONSTANT,
                                    value=(self.spec.pad_value,) * 3)
        return canvas, Placement(new_w / fw, new_h / fh, left, top, fw, fh)
