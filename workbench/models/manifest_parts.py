"""Parts of a model manifest that say how to run an ONNX detector without ultralytics (see `zoo.ModelManifest`).

`format` says who decodes the model's outputs; `preprocess` how a frame becomes the model's input; `decoder` the
NanoDet head's geometry; `provenance` where each part of a converted model came from and under which licence.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ModelFormat = Literal["ultralytics", "yolo", "nanodet"]
FORMATS: tuple[str, ...] = ("ultralytics", "yolo", "nanodet")
ONNX_FORMATS: tuple[str, ...] = ("yolo", "nanodet")  # decoded by workbench.models.onnx_detect, no torch

# NanoDet's training normalisation (BGR, pixel units): what its configs use and what a NanoDet model expects.
NANODET_MEAN = (103.53, 116.28, 123.675)
NANODET_STD = (57.375, 57.12, 58.395)


class PreprocessSpec(BaseModel):
    """How a frame becomes the model's input: size, resize mode, channel order and normalisation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    width: int | None = Field(None, ge=16, le=8192,
                              description="Input width in pixels; empty = the ONNX file's own input width")
    height: int | None = Field(None, ge=16, le=8192,
                               description="Input height in pixels; empty = the ONNX file's own input height")
    resize: Literal["letterbox", "stretch"] = Field(
        "letterbox", description="letterbox: keep the aspect ratio and pad the rest (YOLO); stretch: resize to the "
                                 "input size whatever the aspect ratio (NanoDet)")
    color: Literal["bgr", "rgb"] = Field("rgb", description="Channel order the model was trained on")
    mean: tuple[float, float, float] = Field(
        (0.0, 0.0, 0.0), description="Subtracted from each channel (pixel units 0-255, in the order of `color`)")
    std: tuple[float, float, float] = Field(
        (255.0, 255.0, 255.0), description="Each channel is divided by this after the mean (pixel units, in the "
                                           "order of `color`); 255 = scale to 0-1")
    pad_value: int = Field(114, ge=0, le=255, description="Grey level of the letterbox border")


class DecoderSpec(BaseModel):
    """The NanoDet (GFL head) geometry: one feature map per stride, box sides as distributions over bins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strides: tuple[int, ...] = Field((8, 16, 32), min_length=1, max_length=8,
                                     description="Stride in pixels of each output level, finest first")
    reg_max: int = Field(7, ge=1, le=64, description="Largest distance bin of a box side (reg_max + 1 bins per side)")
    center_offset: float = Field(0.5, ge=0.0, le=1.0,
                                 description="Where a cell's anchor point is, in cells: 0.5 = the cell centre "
                                             "(NanoDet), 0 = its top-left corner (NanoDet-Plus)")


class ProvenanceEntry(BaseModel):
    """One ingredient of a model (original weights, converter, converted file) and its licence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    part: str = Field(..., min_length=1, description="What this part is, e.g. 'original weights', 'converted file'")
    name: str = Field(..., min_length=1, description="Package, project or file name")
    version: str = Field("", description="Version of that part")
    license: str = Field("", description="Its licence (SPDX id where possible)")
    url: str = Field("", description="Where it comes from (for people; never fetched)")


def default_preprocess(fmt: str) -> PreprocessSpec:
    """The preprocessing a format's models expect when the manifest does not say."""
    if fmt == "nanodet":
        return PreprocessSpec(resize="stretch", color="bgr", mean=NANODET_MEAN, std=NANODET_STD)
    return PreprocessSpec()  # ultralytics YOLO: letterbox, RGB, /255
