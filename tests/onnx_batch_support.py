"""A dynamic-batch copy of an ONNX model whose batch dimension is fixed at 1 (the bundled NanoDet, today), for tests of
the batched detector path: input and output dimension 0 become symbolic, and every Reshape to a constant shape that
starts with 1 gets 0 there instead (0 = copy the input's dimension, so the batch passes through)."""

from __future__ import annotations

from pathlib import Path


def dynamic_batch_copy(src: Path, dst: Path) -> Path:
    """Write a copy of `src` at `dst` that takes any batch size; returns `dst`."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    for value in (*graph.input, *graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = "batch"
    initializers = {init.name: init for init in graph.initializer}
    for node in graph.node:
        shape = initializers.get(node.input[1]) if node.op_type == "Reshape" else None
        if shape is None:
            continue
        values = numpy_helper.to_array(shape).copy()
        if values.size and values[0] == 1:
            values[0] = 0
            shape.CopyFrom(numpy_helper.from_array(values, shape.name))
    del graph.value_info[:]  # shapes inferred for batch 1 would contradict the new ones
    onnx.checker.check_model(model)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(model.SerializeToString())
    return dst
