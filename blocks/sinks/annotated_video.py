"""Write annotated.mp4: boxes, "#id class" labels, trails, lines/zones, per-region counters and recent events."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import av
import cv2
import numpy as np
import supervision as sv
from pydantic import Field, field_validator

from blocks.sinks._common import plain_name, run_file
from workbench.core.block import Block, BlockConfig, Overlay, StreamContext
from workbench.core.errors import BlockError
from workbench.core.events import Event
from workbench.core.frames import Frame
from workbench.core.i18n import has, t
from workbench.core.kinds import Kind, Port
from workbench.core.lines import in_arrow
from workbench.media.fonts import cjk_font, draw_panel, panel_size
from workbench.media.video_io import H264Writer

PALETTE = sv.ColorPalette.DEFAULT
LINE_COLOR = sv.Color(r=255, g=220, b=0)
ZONE_COLOR = sv.Color(r=0, g=200, b=255)
FLASH_COLOR = sv.Color(r=255, g=40, b=40)
PANEL_COLOR = sv.Color(r=0, g=0, b=0)


class AnnotatedVideoConfig(BlockConfig):
    filename: str = Field("annotated.mp4", min_length=5, max_length=100,
                          description="Name of the H.264 .mp4 written into the run folder (plays in browsers)")
    show_labels: bool = Field(True, description="Write \"#id class\" above each box")
    show_traces: bool = Field(True, description="Draw each track's trail")
    trace_length: int = Field(50, ge=2, le=1000, description="Longest trail drawn, in points (frames)")
    show_counters: bool = Field(True, description="Show running counts per line/zone, e.g. \"line in 3 / out 2\"")
    flash_seconds: float = Field(1.0, ge=0.0, le=10.0,
                                 description="How long (video seconds) an event stays highlighted; 0 = never")
    thickness: int = Field(2, ge=1, le=10, description="Line thickness of boxes, trails and zones in pixels")
    text_scale: float = Field(0.5, ge=0.2, le=3.0, description="Size of the text")
    crf: int = Field(23, ge=15, le=40, description="Video quality: lower = better and bigger (H.264 CRF, 23 is normal)")
    language: Literal["zh", "en"] = Field("zh", description=(
        "Language of the texts written on the video (counters, events, class names); Chinese needs a CJK font on "
        "the server (workbench.media.fonts), without one English is written"))

    @field_validator("filename")
    @classmethod
    def _mp4(cls, value: str) -> str:
        value = plain_name(value)
        if not value.lower().endswith(".mp4"):
            raise ValueError("must end with .mp4")
        return value


def counter_text(region: str, counts: Mapping[str, int], lang: str = "en") -> str:
    """`line in 3 / out 2` (`line 进 3 / 出 2`) from the counts of one region, by direction (or event type)."""
    return f"{region} " + " / ".join(f"{word(key, lang)} {n}" for key, n in counts.items())


def word(name: str, lang: str) -> str:
    """A direction, event type or class name in `lang` (as the app's tables say it); unknown names as they are."""
    for key in (f"app.run.direction.{name}", f"app.run.event_type.{name}", f"class.{name}"):
        if name and has(key):
            return t(key, lang)
    return name


@dataclass
class _State:
    path: Path | None
    fps: float
    size: tuple[int, int]
    overlays: tuple[Overlay, ...]
    writer: H264Writer | None = None
    trace: sv.TraceAnnotator | None = None
    counters: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    recent: deque = field(default_factory=deque)  # (pts, event) of events still flashing
    frames: int = 0


class AnnotatedVideo(Block[AnnotatedVideoConfig]):
    """Draw detections, tracks, lines/zones, counters and events onto the frames and save a browser-playable mp4."""

    type_id = "sinks/annotated_video@v1"
    Config = AnnotatedVideoConfig
    inputs = (
        Port("image", Kind.IMAGE, description="The video frames to draw on"),
        Port("detections", Kind.DETECTIONS, required=False, description="Boxes to draw (tracks show ids and trails)"),
        Port("events", Kind.EVENTS, required=False, many=True, description="Events to count and highlight"),
    )
    outputs = ()

    def __init__(self, config: AnnotatedVideoConfig, node_id: str = "") -> None:
        super().__init__(config, node_id)
        self._boxes = sv.BoxAnnotator(color=PALETTE, thickness=config.thickness)
        self._labels: Any = sv.LabelAnnotator(color=PALETTE, text_scale=config.text_scale, text_padding=4,
                                              text_position=sv.Position.TOP_LEFT)
        self._font: str | None = None  # a CJK font file, found in load()
        self._lang = "en"

    def load(self) -> None:
        """Find a font for Chinese text; without one the video is written in English."""
        font = cjk_font() if self.config.language == "zh" else None
        self._font, self._lang = (str(font), "zh") if font else (None, "en")
        if self._font:
            self._labels = sv.RichLabelAnnotator(color=PALETTE, font_path=self._font, text_padding=4,
                                                 font_size=max(10, round(30 * self.config.text_scale)),
                                                 text_position=sv.Position.TOP_LEFT)

    def start(self, ctx: StreamContext) -> _State:
        state = _State(path=run_file(ctx, self.config.filename, self.node_id, "filename"), fps=ctx.fps,
                       size=ctx.frame_size, overlays=ctx.overlays,
                       trace=sv.TraceAnnotator(color=PALETTE, position=sv.Position.BOTTOM_CENTER,
                                               trace_length=self.config.trace_length,
                                               thickness=self.config.thickness))
        if state.path is not None and min(state.size) > 0:
            self._open(state, state.size)
        return state

    def _open(self, state: _State, size: tuple[int, int]) -> None:
        try:
            state.writer = H264Writer(state.path, state.fps, size, crf=self.config.crf)
        except (OSError, av.error.FFmpegError) as exc:
            raise BlockError("sink_unwritable", self.node_id, "filename", path=str(state.path),
                             detail=str(exc)) from None

    def process(self, state: _State, frame: Frame, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if state.path is None:
            return {}
        image: Frame = inputs.get("image", frame)
        self._remember(state, image.pts, inputs.get("events", ()))
        scene = image.image.copy()  # the input frame is read-only and shared: draw on a copy
        self._draw_overlays(scene, state.overlays)
        dets = inputs.get("detections")
        if dets is not None and len(dets):
            self._draw_detections(state, scene, dets)
        elif dets is not None and state.trace is not None:
            state.trace.annotate(scene, dets)  # keeps the trail history's frame count right
        self._draw_events(state, scene)
        if state.writer is None:
            self._open(state, image.size)
        try:
            state.writer.write(scene)
        except (OSError, av.error.FFmpegError) as exc:
            raise BlockError("sink_unwritable", self.node_id, "filename", path=str(state.path),
                             detail=str(exc)) from None
        state.frames += 1
        return {}

    # -- drawing ----------------------------------------------------------------------------------------------------
    def _remember(self, state: _State, pts: float, events: Iterable[Event]) -> None:
        seen = set()
        for ev in events:
            key = (ev.frame, ev.node, ev.type, ev.track_id, ev.region, ev.direction)
            if key in seen:  # the same event reached us twice (e.g. directly and through snapshots)
                continue
            seen.add(key)
            by = state.counters.setdefault((ev.node, ev.region or ev.node), {})
            label = ev.direction or ev.type
            by[label] = by.get(label, 0) + 1
            if self.config.flash_seconds > 0:
                state.recent.append((pts, ev))
        while state.recent and pts - state.recent[0][0] > self.config.flash_seconds:
            state.recent.popleft()

    def _draw_overlays(self, scene: np.ndarray, overlays: Iterable[Overlay]) -> None:
        for ov in overlays:
            pts = [sv.Point(float(x), float(y)) for x, y in ov.points]
            if len(pts) < 2:
                continue
            if ov.shape == "line":
                sv.draw_line(scene, pts[0], pts[-1], color=LINE_COLOR, thickness=self.config.thickness + 1)
                anchor = pts[0]  # the name at the start; the middle shows the "in" arrow
                color = LINE_COLOR
            else:
                polygon = np.array([[p.x, p.y] for p in pts], dtype=np.int64)
                sv.draw_polygon(scene, polygon, color=ZONE_COLOR, thickness=self.config.thickness)
                anchor, color = pts[0], ZONE_COLOR
            if ov.shape == "line":  # which way is "in", as the rule counts it
                tail, head = in_arrow(ov.points[0], ov.points[-1], length=60)
                cv2.arrowedLine(scene, tail, head, color.as_bgr(), self.config.thickness + 1, cv2.LINE_AA,
                                tipLength=0.3)
                draw_panel(scene, word("in", self._lang), head[0] + 4, head[1] - 10, self.config.text_scale, 3,
                           color.as_bgr(), self._font, sv.Color.BLACK.as_bgr())
            label = ov.label or ov.node
            w, h = panel_size(label, self.config.text_scale, 3, self._font)
            draw_panel(scene, label, int(anchor.x - w / 2), int(anchor.y - h / 2), self.config.text_scale, 3,
                       color.as_bgr(), self._font, sv.Color.BLACK.as_bgr())

    def _draw_detections(self, state: _State, scene: np.ndarray, dets: sv.Detections) -> None:
        tracked = dets.tracker_id is not None
        lookup = np.asarray(dets.tracker_id if tracked else dets.class_id, dtype=int)
        self._boxes.annotate(scene, dets, custom_color_lookup=lookup)
        if self.config.show_traces and tracked:
            trajectories = dets.data.get("trajectory")
            if trajectories is not None:
                for i, points in enumerate(trajectories):
                    points = np.asarray(points, dtype=np.float32).reshape(-1, 2)[-self.config.trace_length:]
                    if len(points) > 1:
                        cv2.polylines(scene, [points.astype(np.int32)], False, PALETTE.by_idx(int(lookup[i])).as_bgr(),
                                      self.config.thickness)
            else:
                state.trace.annotate(scene, dets, custom_color_lookup=lookup)
        if self.config.show_labels:
            names = dets.data.get("class_name", [""] * len(dets))
            names = [word(str(n), self._lang) for n in names]
            labels = [f"#{int(dets.tracker_id[i])} {names[i]}" if tracked else names[i] for i in range(len(dets))]
            self._labels.annotate(scene, dets, labels=labels, custom_color_lookup=lookup)

    def _draw_events(self, state: _State, scene: np.ndarray) -> None:
        scale, pad = self.config.text_scale, 4
        line_h = panel_size("Ag进", scale, pad, self._font)[1] + 2
        if self.config.show_counters:
            for row, ((_, region), counts) in enumerate(state.counters.items()):
                self._panel(scene, counter_text(region, counts, self._lang), 10, 10 + line_h * row, PANEL_COLOR)
        loose = []
        for _, ev in state.recent:
            text = " ".join(word(s, self._lang) for s in (ev.type, ev.direction, ev.region) if s)
            if ev.bbox is None:
                loose.append(text)
                continue
            x1, y1, x2, y2 = (round(v) for v in ev.bbox)
            cv2.rectangle(scene, (x1, y1), (x2, y2), FLASH_COLOR.as_bgr(), self.config.thickness * 2)
            self._panel(scene, text, x1, max(0, y2 + 2), FLASH_COLOR)
        height = scene.shape[0]
        for row, text in enumerate(loose[-3:]):
            self._panel(scene, text, 10, height - line_h * (row + 1) - 10, FLASH_COLOR)

    def _panel(self, scene: np.ndarray, text: str, x: int, y: int, background: sv.Color) -> None:
        draw_panel(scene, text, x, y, self.config.text_scale, 4, background.as_bgr(), self._font)

    def finish(self, state: _State) -> dict[str, Any]:
        if state.path is None:
            return {}
        writer, state.writer = state.writer, None
        if writer is not None:
            try:
                writer.close()  # the last frames and the index (sidx); what came before plays already
            except (OSError, av.error.FFmpegError) as exc:
                raise BlockError("sink_unwritable", self.node_id, "filename", path=str(state.path),
                                 detail=str(exc)) from None
        if state.frames == 0:  # no frame, no video: leave no broken file behind
            state.path.unlink(missing_ok=True)
            return {"file": None, "frames": 0}
        return {"file": self.config.filename, "frames": state.frames, "language": self._lang}

