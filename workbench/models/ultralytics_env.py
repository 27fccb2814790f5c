"""Make ultralytics safe and quiet before it is first imported: no network, no pip, no pickled code, no telemetry.

Call `prepare_ultralytics()` right before `import ultralytics` (import it lazily, inside `load()`, never at module
import). ultralytics reads most of these variables once, when it is imported (see /work/shared/NOTES.md).
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from pathlib import Path

from workbench.core.paths import workbench_home

_FONTS = ("Arial.ttf", "Arial.Unicode.ttf")
_lock = threading.Lock()
_prepared: Path | None = None


def _bundled_font() -> Path | None:
    """DejaVuSans.ttf from matplotlib (a dependency of ultralytics), used in place of fonts ultralytics downloads."""
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - matplotlib comes with ultralytics
        return None
    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return font if font.is_file() else None


def _place_fonts(folder: Path) -> None:
    font = _bundled_font()
    if font is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for name in _FONTS:
        target = folder / name
        if not target.exists():
            shutil.copyfile(font, target)


def _force_switches() -> None:
    """ultralytics was imported before us and read its switches then: set the security ones where they now live."""
    for module, names in (
        ("ultralytics.utils", ("AUTOINSTALL", "SAFE_LOAD")),
        ("ultralytics.utils.checks", ("AUTOINSTALL",)),
        ("ultralytics.nn.tasks", ("SAFE_LOAD",)),
    ):
        mod = sys.modules.get(module)
        for name in names:
            if mod is not None and hasattr(mod, name):
                setattr(mod, name, name == "SAFE_LOAD")


def prepare_ultralytics() -> Path:
    """Set ultralytics' environment and settings for offline, safe use; return its config folder. Idempotent.

    - `YOLO_OFFLINE=1` (no DNS probe / update check), `YOLO_AUTOINSTALL=0` (never pip-installs a module a checkpoint
      names), `ULTRALYTICS_SAFE_LOAD=1` (checkpoints are unpickled with `weights_only` and an allow-list: a .pt file
      from elsewhere is code, see NOTES "SECURITY").
    - `YOLO_CONFIG_DIR=<workbench home>/ultralytics`, with Arial.ttf / Arial.Unicode.ttf copied from matplotlib's
      DejaVuSans.ttf so training plots never download fonts.
    - ultralytics settings `sync` (telemetry) and `mlflow` (its own MLflow callback) off: the workbench owns its runs.
    """
    global _prepared
    with _lock:
        if _prepared is not None:
            return _prepared
        config_dir = workbench_home() / "ultralytics"
        already_imported = "ultralytics" in sys.modules
        os.environ["YOLO_OFFLINE"] = "1"
        os.environ["YOLO_AUTOINSTALL"] = "0"
        os.environ["ULTRALYTICS_SAFE_LOAD"] = "1"
        if not already_imported:  # once imported, ultralytics keeps the folder it found; don't pretend otherwise
            os.environ["YOLO_CONFIG_DIR"] = str(config_dir)
        # ultralytics uses $YOLO_CONFIG_DIR/Ultralytics as its settings folder and looks for fonts there
        _place_fonts(config_dir)
        _place_fonts(config_dir / "Ultralytics")

        import ultralytics.utils as ul_utils

        if already_imported:
            _force_switches()
        _place_fonts(Path(ul_utils.USER_CONFIG_DIR))
        wanted = {"sync": False, "mlflow": False}
        if any(ul_utils.SETTINGS.get(k) != v for k, v in wanted.items()):
            ul_utils.SETTINGS.update(wanted)
        _prepared = Path(ul_utils.USER_CONFIG_DIR)
        return _prepared
