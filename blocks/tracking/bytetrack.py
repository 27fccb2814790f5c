"""ByteTrack: give each detected object a track id that stays the same from frame to frame (ultralytics' tracker)."""

from __future__ import annotations

from blocks.tracking._ultralytics import TrackerConfig, UltralyticsTracker


class ByteTrackConfig(TrackerConfig):
    """ultralytics' bytetrack.yaml settings with the same defaults, plus class_vote and trajectory_length."""


class ByteTrack(UltralyticsTracker):
    """Follow objects across frames with ByteTrack (fast, motion and box overlap only)."""

    type_id = "tracking/bytetrack@v1"
    Config = ByteTrackConfig
    tracker_class = "ultralytics.trackers.byte_tracker:BYTETracker"
    tracker_type = "bytetrack"
