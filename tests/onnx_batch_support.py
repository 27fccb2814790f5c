"""Copies of the bundled NanoDet with a chosen batch dimension, for tests of the batched detector path (whatever the
committed file has today):

- "dynamic": input and output dimension 0 symbolic, and every Reshape to a constant shape that starts with 1 gets 0
  there instead (0 = copy the input's dimension, so the batch passes through): takes any number of frames;
- "fixed": dimension 0 fixed at 1 (one frame per run, as the first converted file);
- "reshape_one": dimension 0 symbolic but the Reshapes still say 1: onnxruntime accepts two frames and answers with
  wrong shapes (a file converted half-way).
"""

from __future__ import annotations

from pathlib import Path

import yaml

BUNDLED = Path(__file__).resolve().parents[1] / "model_zoo"
NANODET = BUNDLED / "nanodet-m-416.onnx"


def batch_copy(src: Path, dst: Path, batch: str) -> Path:
    """Write a copy of `src` at `dst` with the `batch` layout named above; returns `dst`."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    for value in (*graph.input, *graph.output):
        dim = value.type.tensor_type.shape.dim[0]
        if batch == "fixed":
            dim.dim_value = 1
        else:
            dim.dim_param = "batch"
    initializers = {init.name: init for init in graph.initializer}
    for node in graph.node:
        shape = initializers.get(node.input[1]) if node.op_type == "Reshape" else None
        if shape is None:
            continue
        values = numpy_helper.to_array(shape).copy()
        if values.size > 1 and values[0] in (0, 1) and -1 in values:
            values[0] = 0 if batch == "dynamic" else 1
            shape.CopyFrom(numpy_helper.from_array(values, shape.name))
    del graph.value_info[:]  # shapes inferred for another batch would contradict the new ones
    onnx.checker.check_model(model)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(model.SerializeToString())
    return dst


def dynamic_batch_copy(src: Path, dst: Path) -> Path:
    """A copy of `src` that takes any batch size."""
    return batch_copy(src, dst, "dynamic")


def import_nanodet_copies(folder: Path, layouts: tuple[str, ...] = ("dynamic", "fixed")) -> dict[str, str]:
    """Import a copy of the bundled NanoDet per layout into the current zoo (WORKBENCH_HOME), with the bundled
    manifest's classes, preprocessing and decoder; model id per layout (`nanodet-<layout>`)."""
    from workbench.models import zoo
    from workbench.models.manifest_parts import DecoderSpec, PreprocessSpec

    manifest = yaml.safe_load((BUNDLED / "nanodet-m-416.yaml").read_text(encoding="utf-8"))
    ids = {}
    for layout in layouts:
        model_id = f"nanodet-{layout.replace('_', '-')}"
        path = batch_copy(NANODET, folder / f"{model_id}.onnx", layout)
        zoo.import_weights(path, model_id, classes=manifest["classes"], format="nanodet",
                           preprocess=PreprocessSpec(**manifest["preprocess"]),
                           decoder=DecoderSpec(**manifest["decoder"]))
        ids[layout] = model_id
    return ids
