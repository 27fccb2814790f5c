"""The H.264 writer: fragmented MP4, so a file cut while it is written (kill -9, power cut) still plays."""

from __future__ import annotations

import shutil

import av
import cv2
import numpy as np

from workbench.media.video_io import H264Writer, is_h264_mp4

FPS, W, H = 25.0, 160, 96


def frame(i: int) -> np.ndarray:
    image = np.full((H, W, 3), 40, dtype=np.uint8)
    image[:, (i * 3) % W:(i * 3) % W + 10] = 255  # a moving bar: every frame differs
    return image


def decoded(path) -> int:
    """Frames decoded before the end or the first broken packet (a cut file may end inside one)."""
    count = 0
    with av.open(str(path)) as container:
        try:
            for _ in container.decode(video=0):
                count += 1
        except av.error.InvalidDataError:
            pass
    return count


def test_a_copy_taken_while_writing_plays_up_to_its_last_fragment(tmp_path):
    path, copy = tmp_path / "live.mp4", tmp_path / "copy.mp4"
    writer = H264Writer(path, FPS, (W, H), preset="ultrafast")
    for i in range(100):  # 4 s: fragments of about 1 s are on disk already
        writer.write(frame(i))
    shutil.copy(path, copy)  # what a kill -9 now would leave behind
    assert is_h264_mp4(copy)
    assert 50 <= decoded(copy) < 100
    capture = cv2.VideoCapture(str(copy))
    assert capture.isOpened() and capture.read()[0]
    capture.release()
    writer.close()
    assert decoded(path) == 100
    with av.open(str(path)) as container:  # closed: the duration is known (a browser shows the right length)
        assert abs(container.duration / 1_000_000 - 4.0) < 0.1


def test_a_file_cut_inside_a_fragment_still_plays_the_fragments_before(tmp_path):
    path = tmp_path / "live.mp4"
    writer = H264Writer(path, FPS, (W, H), preset="ultrafast")
    for i in range(100):
        writer.write(frame(i))
    data = path.read_bytes()
    writer.close()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[:-200])  # the kill came while the last fragment was being written
    assert is_h264_mp4(cut) and 25 <= decoded(cut) < 100
