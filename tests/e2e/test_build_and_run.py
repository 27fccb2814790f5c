"""The whole story in a real browser: build a counting pipeline from the palette, draw the line on a frame of the clip,
see a wrong connection refused, save, run it on the demo clip, and see the video and the ground-truth event count."""

from __future__ import annotations

import json

import pytest
import yaml
from e2e.build_steps import BLOCKS, CANVAS_IFRAME, PROGRESS, add_from_palette, connect, draw_truth_line, run_in_url, zh
from playwright.sync_api import expect

pytestmark = pytest.mark.slow


def test_build_draw_save_and_run_on_the_demo_clip(app_server, page, wait_idle, shot):
    app_server.sign_in(page)
    truth = json.loads((app_server.home / "demo" / "demo_s0.truth.json").read_text())
    clip = app_server.home / "demo" / "demo_s0.mp4"
    page.goto(app_server.url)
    wait_idle(page)

    # 1. five blocks from the palette; the source reads the demo clip
    spots = [(40, 40), (280, 40), (500, 40), (500, 260), (260, 300)]  # dropped apart, so nothing overlaps
    for (_, type_id), spot in zip(BLOCKS, spots, strict=True):
        add_from_palette(page, wait_idle, type_id, spot)
    frame = page.frame_locator(CANVAS_IFRAME)
    for node_id, _ in BLOCKS:
        frame.locator(f'[data-testid="rf__node-{node_id}"]').wait_for()
    frame.locator('[data-testid="rf__node-video_file"]').click()
    wait_idle(page)
    page.locator(".st-key-pick_video_file_kind").get_by_text(zh("app.picker.demo"), exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name=zh("app.build.video_use")).click()  # picked, not typed
    wait_idle(page)

    # 2. a wrong connection is refused at once, naming both kinds
    connect(page, wait_idle, frame, "video_file.frames", "motion.image")
    connect(page, wait_idle, frame, "motion.detections", "line_crossing.tracks")
    banner = frame.locator('[data-testid="canvas-refusal"]')
    banner.wait_for(state="visible", timeout=5000)
    assert zh("kind.detections") in banner.inner_text() and zh("kind.tracks") in banner.inner_text()
    shot(page, "flow-1-refused", whole=False)

    # 3. the right connections
    for source, target in [("motion.detections", "bytetrack.detections"), ("bytetrack.tracks", "line_crossing.tracks"),
                           ("video_file.frames", "annotated_video.image"),
                           ("bytetrack.tracks", "annotated_video.detections"),
                           ("line_crossing.events", "annotated_video.events")]:
        connect(page, wait_idle, frame, source, target)
    assert frame.locator(".react-flow__edge").count() == 6

    # 4. draw the counting line on a real frame of the clip
    (x0, y0), (x1, y1) = draw_truth_line(page, wait_idle, truth)
    shot(page, "flow-2-line-drawn")

    # 5. save; the file is the YAML the CLI runs, with the drawn line and the canvas positions
    name_box = page.get_by_placeholder(zh("app.build.save_as_name"))
    name_box.fill("e2e_count")
    name_box.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name=zh("app.build.save_as"), exact=True).click()
    wait_idle(page)
    saved = app_server.home / "pipelines" / "e2e_count.yaml"
    spec = yaml.safe_load(saved.read_text(encoding="utf-8"))
    source = next(n for n in spec["nodes"] if n["id"] == "video_file")["config"]
    assert source["path"] == str(clip.resolve()), "the demo clip was picked, not typed"
    line = next(n for n in spec["nodes"] if n["id"] == "line_crossing")["config"]
    assert abs(line["start"][0] - x0) <= 3 and abs(line["start"][1] - y0) <= 3
    assert abs(line["end"][0] - x1) <= 3 and abs(line["end"][1] - y1) <= 3
    assert len(spec["edges"]) == 6 and set(spec["layout"]) == {n for n, _ in BLOCKS}
    assert page.get_by_text(zh("app.build.no_problems")).is_visible()

    # 6. run it on the demo clip; a browser refresh while it runs keeps it open (its id is in the address)
    page.get_by_role("button", name=zh("app.build.run")).click()
    wait_idle(page)
    page.get_by_text(zh("app.picker.demo"), exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name=zh("app.run.start_button")).click()
    page.locator(PROGRESS).first.wait_for(state="visible", timeout=60_000)
    run_id = run_in_url(page)
    assert run_id, f"the started run is not in the address: {page.url}"
    page.reload()
    wait_idle(page)
    assert run_in_url(page) == run_id, f"the refresh lost the run: {page.url}"
    expect(page.get_by_text(zh("app.run.opened", id=run_id))).to_be_visible()
    video = page.locator("video")
    expect(page.locator(PROGRESS).or_(video).first).to_be_visible()  # still running, or already finished
    shot(page, "flow-3-running-after-refresh", whole=False)

    # 7. the video plays in the page and the count equals the ground truth
    video.wait_for(state="visible", timeout=240_000)
    wait_idle(page)
    events = page.locator('[data-testid="stMetric"]').filter(has_text=zh("app.run.metric.events"))
    value = events.locator('[data-testid="stMetricValue"]').inner_text()
    assert int(value) == len(truth["events"]) == 14
    assert page.get_by_text(zh("app.run.events", count=14)).is_visible(), "the events table lists every event"
    assert page.evaluate("document.querySelector('video').canPlayType('video/mp4; codecs=\"avc1.42E01E\"')") != ""
    shot(page, "flow-3-results")
