"""generate(): a browser-playable H.264 clip with the right frame count, and its truth file beside it."""

from __future__ import annotations

import cv2
import numpy as np
from support import decoded_frames

from workbench.features.synth import generate, get, load_truth, render_frames
from workbench.features.synth.__main__ import main
from workbench.media.video_io import is_h264_mp4


def test_generate_writes_h264_clip_and_truth(tmp_path):
    clip = generate("restricted_zone", tmp_path, seed=2)
    assert clip.video == tmp_path / "restricted_zone_s2.mp4"
    assert clip.truth == tmp_path / "restricted_zone_s2.truth.json"
    assert is_h264_mp4(clip.video)
    truth = load_truth(clip.truth)
    assert truth["scenario"] == "restricted_zone" and truth["seed"] == 2
    decoded = decoded_frames(clip.video)
    cap = cv2.VideoCapture(str(clip.video))
    assert len(decoded) == truth["frames"]
    assert cap.get(cv2.CAP_PROP_FPS) == truth["fps"] or abs(cv2.VideoCapture(str(clip.video)).get(
        cv2.CAP_PROP_FPS) - truth["fps"]) < 0.01
    rendered = list(render_frames(get("restricted_zone"), 2))
    for f in (0, 200, len(decoded) - 1):  # lossy but close to what was rendered
        assert np.abs(decoded[f].astype(np.int16) - rendered[f].astype(np.int16)).mean() < 4


def test_command_line_writes_the_clip(tmp_path, capsys):
    main(["muck_truck", str(tmp_path), "--seed", "1"])
    out = capsys.readouterr().out.split()
    assert out == [str(tmp_path / "muck_truck_s1.mp4"), str(tmp_path / "muck_truck_s1.truth.json")]
    assert is_h264_mp4(out[0])
