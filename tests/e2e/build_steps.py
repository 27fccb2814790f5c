"""Steps of building a pipeline in the real browser, shared by the end-to-end walks (Chinese UI)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from e2e.harness import drag, drag_between

from workbench.core.i18n import t

CANVAS_IFRAME = 'iframe[title="workbench.apps.ui.canvas.pipeline_canvas"]'
PROGRESS = '[data-testid="stProgress"]'
BLOCKS = [  # (node id the palette gives it, type id)
    ("video_file", "sources/video_file@v1"),
    ("motion", "detection/motion@v1"),
    ("bytetrack", "tracking/bytetrack@v1"),
    ("line_crossing", "rules/line_crossing@v1"),
    ("annotated_video", "sinks/annotated_video@v1"),
]


def zh(key: str, **params) -> str:
    return t(key, "zh", **params)


def add_from_palette(page, wait_idle, type_id: str, at: tuple[float, float]) -> None:
    """Search the canvas' palette for the block's Chinese title and drag it onto the canvas at `at` (pane pixels)."""
    frame = page.frame_locator(CANVAS_IFRAME)
    frame.locator('[data-testid="palette-search"]').fill(zh(f"block.{type_id.split('@')[0]}.title"))
    item = frame.locator(f'[data-testid="palette-{type_id}"]')
    item.drag_to(frame.locator(".react-flow__pane"), target_position={"x": at[0], "y": at[1]})
    wait_idle(page)


def handle(frame, node: str, port: str, side: str):
    return frame.locator(f'[data-testid="rf__node-{node}"] [data-port="{port}"][data-side="{side}"]')


def run_in_url(page) -> str | None:
    """The open run's id, from the page address (`?run=<id>`)."""
    return parse_qs(urlparse(page.url).query).get("run", [None])[0]


def connect(page, wait_idle, frame, source: str, target: str) -> None:
    (sn, sp), (tn, tp) = source.split("."), target.split(".")
    drag(page, handle(frame, sn, sp, "out"), handle(frame, tn, tp, "in"))
    wait_idle(page)


def draw_truth_line(page, wait_idle, truth: dict) -> tuple[tuple[float, float], tuple[float, float]]:
    """Select the line_crossing node and draw the truth's count_line on the frame shown in its settings."""
    page.frame_locator(CANVAS_IFRAME).locator('[data-testid="rf__node-line_crossing"]').click()
    wait_idle(page)
    drawing = page.locator("canvas").last
    drawing.wait_for(state="attached")
    drawing.scroll_into_view_if_needed()
    box = drawing.bounding_box()
    scale = box["width"] / truth["size"][0]
    (x0, y0), (x1, y1) = truth["regions"]["count_line"]["points"]
    drag_between(page, (box["x"] + x0 * scale, box["y"] + y0 * scale), (box["x"] + x1 * scale, box["y"] + y1 * scale))
    wait_idle(page)
    return (x0, y0), (x1, y1)
