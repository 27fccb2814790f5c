"""Chinese on the annotated video: drawn with a CJK font, not OpenCV's ??? ."""

from __future__ import annotations

import numpy as np
from support import make_frame

from blocks.sinks.annotated_video import AnnotatedVideo, AnnotatedVideoConfig, counter_text
from workbench.core.block import StreamContext
from workbench.core.events import Event
from workbench.media.fonts import draw_panel


def panel(text: str, font: str | None) -> np.ndarray:
    scene = np.zeros((60, 200, 3), np.uint8)
    draw_panel(scene, text, 5, 5, 0.6, 4, (40, 40, 40), font)
    return scene


def test_without_a_font_chinese_characters_all_look_the_same():
    """What OpenCV alone does: every Chinese character becomes the same '?' (the reason for a CJK font)."""
    assert np.array_equal(panel("进 3", None), panel("出 3", None))


def test_with_a_cjk_font_two_chinese_words_are_drawn_differently(cjk_font):
    assert not np.array_equal(panel("进 3", str(cjk_font)), panel("出 3", str(cjk_font)))
    assert panel("进 3", str(cjk_font))[10:40, 12:40].max() > 200, "white text on the panel"


def test_counters_speak_the_videos_language():
    assert counter_text("东门", {"in": 3, "out": 2}, "zh") == "东门 进 3 / 出 2"
    assert counter_text("gate", {"in": 3}, "en") == "gate in 3"


def test_a_chinese_video_says_so_in_its_summary(tmp_path, cjk_font):
    block = AnnotatedVideo(AnnotatedVideoConfig(flash_seconds=0), "video")
    block.load()
    state = block.start(StreamContext(out_dir=tmp_path, source="t.mp4", fps=25.0, frame_size=(320, 240)))
    event = Event(time="2026-11-23T12:00:00", pts=0.0, frame=0, node="count", type="line_crossing", track_id=1,
                  class_name="car", region="东门", direction="in")
    for i in range(3):
        frame = make_frame(i, size=(320, 240))
        block.process(state, frame, {"image": frame, "events": (event,) if i == 0 else ()})
    assert block.finish(state)["language"] == "zh"
