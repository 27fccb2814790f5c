"""The demo clip without opencv-doc: the drawn demo street is made instead, with a warning naming the package."""

from __future__ import annotations

import logging
from pathlib import Path

from workbench.features.synth import demo, load_truth
from workbench.features.synth.real import sources


def test_without_opencv_doc_the_drawn_demo_is_made_with_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))

    def missing(_: list[str]) -> None:
        raise sources._missing(Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi"), "opencv-doc",
                               "apt-get install opencv-doc")

    monkeypatch.setattr(sources, "require", missing)
    with caplog.at_level(logging.WARNING):
        clip = demo.make_demo_clip()
    assert clip == demo.demo_clip() and clip.is_file()
    assert load_truth(demo.demo_truth())["scenario"] == demo.DRAWN_SCENARIO
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "apt-get install opencv-doc" in warning and "vehicle_count_line.yaml" in warning
