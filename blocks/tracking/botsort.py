"""BoT-SORT: ByteTrack plus camera-motion compensation, for cameras that pan, shake or sway (ultralytics' tracker).

Re-identification (with_reid) is not offered: it needs appearance-model weights, which are not available offline; so
are its two thresholds (proximity_thresh, appearance_thresh), which only act with re-identification.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from blocks.tracking._ultralytics import TrackerConfig, UltralyticsTracker


class BotSortConfig(TrackerConfig):
    """ultralytics' botsort.yaml settings (without re-identification) with the same defaults, plus class_vote and
    trajectory_length."""

    gmc_method: Literal["sparseOptFlow", "orb", "sift", "ecc", "none"] = Field(
        "sparseOptFlow",
        description="Global motion compensation: estimates how the whole image moved since the last frame, so a "
        "moving camera does not break tracks. sparseOptFlow (default), orb, sift, ecc, or none for a fixed camera "
        "(faster)")


class BotSort(UltralyticsTracker):
    """Follow objects across frames with BoT-SORT (ByteTrack plus compensation for camera motion)."""

    type_id = "tracking/botsort@v1"
    Config = BotSortConfig
    tracker_class = "ultralytics.trackers.bot_sort:BOTSORT"
    tracker_type = "botsort"

    def tracker_args(self, fps: float) -> dict:
        """botsort.yaml's keys; re-identification stays off (its thresholds keep ultralytics' defaults)."""
        return {**super().tracker_args(fps), "with_reid": False, "model": "auto",
                "proximity_thresh": 0.5, "appearance_thresh": 0.8}
