"""Decode NanoDet (GFL head) outputs with numpy, vectorised over every anchor point of every level.

Per stride s the head scores each cell of a ceil(H/s) x ceil(W/s) grid: class scores (already sigmoid) and, for each
box side, a distribution over reg_max + 1 distance bins; the side's distance is the distribution's expectation times
s, measured from the cell's anchor point. Two file layouts: a pair of outputs per stride, `[1, N, classes]` and
`[1, N, 4 (reg_max + 1)]` (e.g. the TF.js NanoDet), or one packed `[1, sum N, classes + 4 (reg_max + 1)]` (the
upstream NanoDet export).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from workbench.models.manifest_parts import DecoderSpec
from workbench.models.onnx_detect.candidates import Candidates, LayoutMismatch

EXPECTED = ("per stride, class scores [1, N, classes] and box distributions [1, N, 4 x (reg_max + 1)] (NanoDet GFL "
            "head), or both packed in one output [1, N, classes + 4 x (reg_max + 1)]")
KNOWN_STRIDES = (4, 8, 16, 32, 64, 128)


@dataclass(frozen=True)
class NanoDetLayout:
    """Where each level's scores and distributions are, and every anchor point (levels concatenated, finest first)."""

    classes: int
    reg_max: int
    strides: tuple[int, ...]
    cls_outputs: tuple[int, ...]  # per level; empty when packed
    reg_outputs: tuple[int, ...]
    centers: np.ndarray  # (A, 2) float32, input pixels
    anchor_stride: np.ndarray  # (A,) float32
    input_size: tuple[int, int]

    @property
    def packed(self) -> bool:
        return not self.cls_outputs

    def decoder_spec(self, center_offset: float) -> DecoderSpec:
        """The manifest's `decoder` for this layout."""
        return DecoderSpec(strides=self.strides, reg_max=self.reg_max, center_offset=center_offset)


def _count(stride: int, size: tuple[int, int]) -> int:
    return math.ceil(size[0] / stride) * math.ceil(size[1] / stride)


def _shapes(shapes: list[tuple[int, ...]]) -> str:
    return "; ".join(str(list(s)) for s in shapes) or "none"


def nanodet_layout(shapes: list[tuple[int, ...]], input_size: tuple[int, int], classes: int | None,
                   decoder: DecoderSpec | None) -> NanoDetLayout:
    """The layout of a model with these (concrete) output shapes at this input size; LayoutMismatch if they do not
    fit NanoDet, the given number of classes or the given decoder."""
    if not shapes or any(len(s) != 3 or s[0] != 1 for s in shapes):
        raise LayoutMismatch(_shapes(shapes), EXPECTED)
    offset = decoder.center_offset if decoder else 0.5
    if len(shapes) == 1:
        return _packed(shapes, input_size, classes, decoder, offset)
    groups: dict[int, list[int]] = {}
    for index, shape in enumerate(shapes):
        groups.setdefault(shape[1], []).append(index)
    if any(len(v) != 2 for v in groups.values()):
        raise LayoutMismatch(_shapes(shapes), EXPECTED)
    by_stride = {}
    for n, pair in groups.items():
        fits = [s for s in (decoder.strides if decoder else KNOWN_STRIDES) if _count(s, input_size) == n]
        if len(fits) != 1:
            raise LayoutMismatch(_shapes(shapes), f"{EXPECTED}, N = cells of stride {_strides_text(decoder)} at "
                                                  f"{input_size[0]}x{input_size[1]}")
        by_stride[fits[0]] = pair
    strides = tuple(sorted(by_stride))
    if decoder and strides != tuple(sorted(decoder.strides)):
        raise LayoutMismatch(_shapes(shapes), f"one output pair per stride {list(decoder.strides)}")
    cls_idx, reg_idx = zip(*(_split_pair(shapes, by_stride[s], classes, decoder) for s in strides), strict=True)
    widths = {(shapes[c][2], shapes[r][2]) for c, r in zip(cls_idx, reg_idx, strict=True)}
    if len(widths) != 1:
        raise LayoutMismatch(_shapes(shapes), EXPECTED)
    nc, reg = widths.pop()
    return _layout(nc, reg // 4 - 1, strides, cls_idx, reg_idx, input_size, offset)


def _strides_text(decoder: DecoderSpec | None) -> str:
    return str(list(decoder.strides)) if decoder else "8/16/32"


def _plausible_bins(width: int) -> bool:
    return width % 4 == 0 and width >= 8


def _split_pair(shapes: list[tuple[int, ...]], pair: list[int], classes: int | None,
                decoder: DecoderSpec | None) -> tuple[int, int]:
    """(class-score output, distribution output) of one level."""
    a, b = pair
    widths = {a: shapes[a][2], b: shapes[b][2]}
    if decoder is not None:
        regs = [i for i in pair if widths[i] == 4 * (decoder.reg_max + 1)]
    elif classes is not None:
        regs = [i for i in pair if widths[i] != classes and _plausible_bins(widths[i])]
    else:
        regs = [i for i in pair if _plausible_bins(widths[i])]
    if len(regs) == 2:  # both could be distributions: the one that is not the class count, else the narrower
        exact = [i for i in pair if widths[i] != classes] if classes in widths.values() else []
        regs = exact if len(exact) == 1 else [min(pair, key=widths.__getitem__)]
    if len(regs) != 1:
        bins = f"4 x ({decoder.reg_max} + 1)" if decoder else "4 x (reg_max + 1)"
        expected = f"per stride [1, N, classes] and [1, N, {bins}]"
        raise LayoutMismatch(_shapes(shapes), expected)
    reg = regs[0]
    cls = b if reg == a else a
    if classes is not None and widths[cls] != classes:
        raise LayoutMismatch(_shapes(shapes), f"class scores [1, N, {classes}]", found_classes=widths[cls])
    return cls, reg


def _packed(shapes: list[tuple[int, ...]], input_size: tuple[int, int], classes: int | None,
            decoder: DecoderSpec | None, offset: float) -> NanoDetLayout:
    _, anchors, width = shapes[0]
    strides = tuple(sorted(decoder.strides)) if decoder else (8, 16, 32)
    if anchors != sum(_count(s, input_size) for s in strides):
        raise LayoutMismatch(_shapes(shapes), f"{EXPECTED}, N = cells of strides {list(strides)} at "
                                              f"{input_size[0]}x{input_size[1]}")
    if classes is not None:
        reg = width - classes
    elif decoder is not None:
        reg = 4 * (decoder.reg_max + 1)
    else:
        raise LayoutMismatch(_shapes(shapes), f"{EXPECTED}; give the class names")
    if reg < 8 or reg % 4 or width - reg < 1 or (decoder and reg != 4 * (decoder.reg_max + 1)):
        raise LayoutMismatch(_shapes(shapes), EXPECTED)
    return _layout(width - reg, reg // 4 - 1, strides, (), (), input_size, offset)


def _layout(nc: int, reg_max: int, strides: tuple[int, ...], cls_idx: tuple[int, ...], reg_idx: tuple[int, ...],
            input_size: tuple[int, int], offset: float) -> NanoDetLayout:
    centers, anchor_stride = [], []
    for s in strides:
        gw, gh = math.ceil(input_size[0] / s), math.ceil(input_size[1] / s)
        ys, xs = np.divmod(np.arange(gw * gh), gw)  # row-major cells, as the head flattens them
        centers.append(np.stack([(xs + offset) * s, (ys + offset) * s], axis=1))
        anchor_stride.append(np.full(gw * gh, s))
    return NanoDetLayout(nc, reg_max, strides, tuple(cls_idx), tuple(reg_idx),
                         np.concatenate(centers).astype(np.float32), np.concatenate(anchor_stride).astype(np.float32),
                         input_size)


def decode_nanodet(outputs: list[np.ndarray], layout: NanoDetLayout, thresholds: np.ndarray) -> Candidates:
    """Boxes (input pixels) whose best class reaches that class's threshold (`thresholds[c]`, inf = never)."""
    if layout.packed:
        packed = outputs[0][0]
        scores, dists = packed[:, :layout.classes], packed[:, layout.classes:]
    else:
        scores = np.concatenate([outputs[i][0] for i in layout.cls_outputs])
        dists = np.concatenate([outputs[i][0] for i in layout.reg_outputs])
    best = scores.max(axis=1)
    keep = np.flatnonzero(best >= thresholds.min())
    class_id = scores[keep].argmax(axis=1)
    passed = best[keep] >= thresholds[class_id]
    keep, class_id = keep[passed], class_id[passed]
    bins = dists[keep].reshape(-1, 4, layout.reg_max + 1).astype(np.float32)
    bins = np.exp(bins - bins.max(axis=2, keepdims=True))
    side = (bins / bins.sum(axis=2, keepdims=True)) @ np.arange(layout.reg_max + 1, dtype=np.float32)
    side *= layout.anchor_stride[keep, None]
    cx, cy = layout.centers[keep, 0], layout.centers[keep, 1]
    xyxy = np.stack([cx - side[:, 0], cy - side[:, 1], cx + side[:, 2], cy + side[:, 3]], axis=1)
    w, h = layout.input_size
    np.clip(xyxy[:, 0::2], 0, w, out=xyxy[:, 0::2])
    np.clip(xyxy[:, 1::2], 0, h, out=xyxy[:, 1::2])
    return Candidates(xyxy.astype(np.float32), best[keep].astype(np.float32), class_id.astype(np.int64))
