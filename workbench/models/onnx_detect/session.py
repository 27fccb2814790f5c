"""An onnxruntime session for a detection model: the execution provider for the device, threads, the input's size.

onnxruntime's `InferenceSession.run()` may be called from several threads at once, so one session serves every stream
of a process (`workbench.models.zoo.shared_model`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.errors import BlockError

CPU, CUDA = "CPUExecutionProvider", "CUDAExecutionProvider"
_ORT_ERRORS = ("Fail", "InvalidArgument", "NoSuchFile", "NoModel", "EngineError", "RuntimeException",
               "InvalidProtobuf", "ModelLoaded", "NotImplemented", "InvalidGraph", "EPFail")


def ort_errors() -> tuple[type[BaseException], ...]:
    """The exception types onnxruntime raises for a file it cannot load or run (they do not share a base class)."""
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    return (*(getattr(state, name) for name in _ORT_ERRORS if hasattr(state, name)), OSError, ValueError)


def default_threads() -> int:
    """Threads per session when the node does not say: the batch task's cap (WORKBENCH_TASK_THREADS or the
    OMP_NUM_THREADS Ray sets), else 0 = onnxruntime's default (one per core)."""
    value = os.environ.get("WORKBENCH_TASK_THREADS") or os.environ.get("OMP_NUM_THREADS") or "0"
    return int(value) if value.isdigit() else 0


def providers_for(device: str, node: str | None, field: str | None = "device") -> list[Any]:
    """onnxruntime providers for `auto|cpu|cuda|cuda:N`; asking for CUDA where onnxruntime has none is a problem."""
    import onnxruntime

    available = onnxruntime.get_available_providers()
    has_cuda = CUDA in available
    if device == "cpu" or (device == "auto" and not has_cuda):
        return [CPU]
    if not has_cuda:
        raise BlockError("onnx_cuda_unavailable", node, field, device=device, providers=", ".join(available))
    index = int(device.split(":")[1]) if ":" in device else 0
    return [(CUDA, {"device_id": index}), CPU]


@dataclass(frozen=True)
class OnnxSession:
    """A loaded model: the session, its input's name, fixed size and batch (None where the file leaves it open)."""

    session: Any
    path: Path
    input_name: str
    input_size: tuple[int, int] | None  # (width, height) when the file fixes both
    batch: int | None  # frames per run when the file fixes its input's dimension 0 (today's NanoDet: 1)
    output_names: tuple[str, ...]
    provider: str  # the provider that runs the model (CUDA or CPU)
    metadata: dict[str, str]

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        """The model's outputs for one NCHW float32 tensor of one or more frames (thread-safe)."""
        return self.session.run(None, {self.input_name: tensor})


def _fixed(dim: Any) -> int | None:
    return dim if isinstance(dim, int) and dim > 0 else None


def open_session(path: Path, device: str = "cpu", threads: int = 0, node: str | None = None,
                 field: str | None = "model") -> OnnxSession:
    """Load an ONNX file; a file that is not a loadable ONNX model is an `onnx_unreadable` problem naming it."""
    import onnxruntime

    providers = providers_for(device, node)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(0, threads) or default_threads()
    options.log_severity_level = 3  # errors only: no provider chatter on every load
    # idle worker threads sleep instead of spinning: the other blocks, cameras and sessions of the process need the
    # cores between runs (measured on 2 cores: +40 % frames per CPU-second, and faster under load)
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        session = onnxruntime.InferenceSession(str(path), options, providers=providers)
    except ort_errors() as exc:
        raise BlockError("onnx_unreadable", node, field, path=str(path), detail=_first_line(exc)) from exc
    if device != "auto" and providers[0] != CPU and session.get_providers()[0] != CUDA:  # CUDA failed to start
        raise BlockError("onnx_cuda_unavailable", node, "device", device=device,
                         providers=", ".join(session.get_providers()))
    inputs = session.get_inputs()
    if len(inputs) != 1 or len(inputs[0].shape) != 4 or inputs[0].type != "tensor(float)":
        shapes = "; ".join(f"{i.name} {i.shape} {i.type}" for i in inputs)
        raise BlockError("onnx_input_unsupported", node, field, path=str(path), inputs=shapes)
    shape = inputs[0].shape
    if _fixed(shape[1]) not in (None, 3):
        raise BlockError("onnx_input_unsupported", node, field, path=str(path), inputs=f"{inputs[0].name} {shape}")
    width, height = _fixed(shape[3]), _fixed(shape[2])
    return OnnxSession(session=session, path=Path(path), input_name=inputs[0].name,
                       input_size=(width, height) if width and height else None, batch=_fixed(shape[0]),
                       output_names=tuple(o.name for o in session.get_outputs()),
                       provider=session.get_providers()[0],
                       metadata=dict(session.get_modelmeta().custom_metadata_map))


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] + ("..." if len(text) > 300 else "")
