"""The pipeline canvas: our Streamlit component on React Flow (source in frontend/canvas, built by `make install`).

`pipeline_canvas(view)` draws the graph described by `view` and returns the latest reply of the browser (or None).
The shape of `view` and of the replies is docs/canvas-protocol.md (frontend/canvas/src/protocol.ts). The component
knows nothing of pipelines beyond it: kinds, what fits what and every text come from Python
(workbench/apps/ui/canvas_model.py builds the view and applies the replies).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from streamlit.components import v1 as components

from workbench.apps.ui.common import tr

STATIC_DIR = Path(__file__).with_name("static")
DEV_URL_ENV = "WORKBENCH_CANVAS_DEV_URL"  # e.g. http://localhost:3001 while `npm run dev --prefix frontend/canvas`


class CanvasBuildMissing(RuntimeError):
    """The built canvas (static/index.html) is not there: `make install` builds it."""


def build_present() -> bool:
    return (STATIC_DIR / "index.html").is_file()


def _declare() -> Any:
    """The component, served by the vite dev server when WORKBENCH_CANVAS_DEV_URL is set, else from the build."""
    dev_url = os.environ.get(DEV_URL_ENV, "").strip()
    if dev_url:
        return components.declare_component("pipeline_canvas", url=dev_url)
    if not build_present():
        raise CanvasBuildMissing(tr("app.canvas.build_missing", path=STATIC_DIR / "index.html"))
    return components.declare_component("pipeline_canvas", path=str(STATIC_DIR))


def pipeline_canvas(view: dict[str, Any], key: str = "canvas") -> dict[str, Any] | None:
    """Render the canvas for `view`; the browser's latest reply, or None before any user action."""
    return _declare()(view=view, key=key, default=None)
