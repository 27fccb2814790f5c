"""What the registry tests share: a bundled pipeline given a YOLO detector, a built + signed bundle on demand.
Import: `from sharing_support import ...` (tests/ is on the path)."""

from __future__ import annotations

import shutil
from pathlib import Path

from workbench.engine.spec import PipelineSpec, load_spec, parse_spec

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"
DESCRIPTION = {"en": "Counts cars and trucks crossing the gate line", "zh": "统计穿过闸口线的小汽车和卡车"}


def yolo_pipeline() -> PipelineSpec:
    """The bundled vehicle_count_line pipeline with its motion detector replaced by a YOLO detector."""
    data = load_spec(PIPELINES / "vehicle_count_line.yaml").to_dict()
    for node in data["nodes"]:
        if node["id"] == "motion":
            node.update(id="detector", type="detection/yolo@v1", config={"model": "yolo11n", "imgsz": 320})
    data["edges"] = [{k: v.replace("motion.", "detector.") for k, v in e.items()} for e in data["edges"]]
    data["layout"]["detector"] = data["layout"].pop("motion")
    return parse_spec(data)


def tiny_weights_pair(untrained_pt: Path, folder: Path) -> tuple[Path, Path]:
    """The untrained yolo11n checkpoint and its ONNX export in `folder` (offline)."""
    from ultralytics import YOLO

    pt = folder / "best.pt"
    shutil.copyfile(untrained_pt, pt)
    onnx = Path(YOLO(str(pt)).export(format="onnx", imgsz=160, verbose=False))
    return pt, onnx
