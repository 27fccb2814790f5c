"""Train/validation split by whole clips that honours the asked validation share of images as closely as clips allow.

Frames of one clip look alike, so a clip is never split: validation gets whole clips. Which clips: the set whose
image count is nearest to `val_fraction` of all images (every set is tried up to EXHAUSTIVE_CLIPS clips, a greedy
pass beyond), with at least one clip on each side when there are two or more clips and the fraction is above 0.
Among equally near sets the seed decides (stable for one seed, different for another).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from workbench.core.errors import Problem, WorkbenchError

EXHAUSTIVE_CLIPS = 14  # 2^14 sets at most
SPLIT_TOLERANCE = 0.10  # validation share this far from the asked one is worth a warning


@dataclass(frozen=True)
class Split:
    """Clips per side and what that means in images: `share` is the validation share of all images."""

    train: list[str]
    val: list[str]
    images: dict[str, int]
    asked: float | None  # the fraction asked for; None when the validation clips were chosen by name

    @property
    def share(self) -> float:
        total = self.images["train"] + self.images["val"]
        return self.images["val"] / total if total else 0.0


def _rank(clip: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{clip}".encode()).hexdigest()


def _nearest_exhaustive(counts: dict[str, int], target: float, seed: int) -> list[str]:
    clips = sorted(counts)
    sets = (chosen for size in range(1, len(clips)) for chosen in combinations(clips, size))
    best = min(sets, key=lambda chosen: (abs(sum(counts[c] for c in chosen) - target),
                                         sorted(_rank(c, seed) for c in chosen)))
    return sorted(best)


def _nearest_greedy(counts: dict[str, int], target: float, seed: int) -> list[str]:
    chosen: list[str] = []
    total = 0
    for clip in sorted(counts, key=lambda c: _rank(c, seed)):
        if len(chosen) == len(counts) - 1:
            break
        if not chosen or abs(total + counts[clip] - target) < abs(total - target):
            chosen.append(clip)
            total += counts[clip]
    return sorted(chosen)


def split_clips(clips: Sequence[str], val_fraction: float = 0.2, val_clips: Sequence[str] | None = None,
                seed: int = 0) -> Split:
    """`clips` has one entry per image (its clip); returns the split and its image counts."""
    counts = dict(Counter(clips))
    unique = sorted(counts)
    if val_clips is not None:
        missing = sorted(set(val_clips) - set(unique))
        if missing:
            raise WorkbenchError([Problem("dataset_unknown_val_clip", field="val_clips",
                                          params={"clips": ", ".join(missing), "known": ", ".join(unique)})])
        val, asked = sorted(set(val_clips)), None
    elif len(unique) < 2 or val_fraction <= 0:
        val, asked = [], val_fraction
    else:
        target = val_fraction * len(clips)
        pick = _nearest_exhaustive if len(unique) <= EXHAUSTIVE_CLIPS else _nearest_greedy
        val, asked = pick(counts, target, seed), val_fraction
    train = [c for c in unique if c not in val]
    images = {"train": sum(counts[c] for c in train), "val": sum(counts[c] for c in val)}
    return Split(train=train, val=val, images=images, asked=asked)


def split_by_clip(clips: Sequence[str], val_fraction: float = 0.2, val_clips: Sequence[str] | None = None,
                  seed: int = 0) -> tuple[list[str], list[str]]:
    """(train clips, val clips) of `split_clips`."""
    split = split_clips(clips, val_fraction, val_clips, seed)
    return split.train, split.val


def split_warnings(split: Split) -> list[Problem]:
    """A warning when the whole-clip split is far from the asked share (it names --val-fraction and --val-clip)."""
    if split.asked is None or not split.val or abs(split.share - split.asked) <= SPLIT_TOLERANCE:
        return []
    return [Problem("dataset_split_off", field="--val-fraction", severity="warning", params={
        "val": split.images["val"], "total": split.images["train"] + split.images["val"],
        "share": round(100 * split.share), "asked": round(100 * split.asked), "clips": ", ".join(split.val)})]
