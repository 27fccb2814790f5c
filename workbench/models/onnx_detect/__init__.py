"""Object detection with onnxruntime and numpy, no torch: ultralytics YOLO exports and NanoDet models.

    session = open_session(path, device="auto")                     # session.py: providers, threads, input size
    detector = build_detector(session, ModelSpec("nanodet", names))  # runtime.py: checks the outputs fit the format
    dets = detector.detect(bgr_frame, Selection.build(names, conf=0.35, keep=["person", "car"]))

preprocess.py (letterbox/stretch, colour, normalise; boxes back to the frame), yolo.py and nanodet.py (decoders),
postprocess.py (class thresholds, OpenCV NMS, `sv.Detections` with `data["class_name"]`).
"""

from workbench.models.onnx_detect.postprocess import Selection, UnknownClasses
from workbench.models.onnx_detect.runtime import (
    Inspection,
    ModelSpec,
    OnnxDetector,
    build_detector,
    inspect_onnx,
    metadata_names,
)
from workbench.models.onnx_detect.session import OnnxSession, open_session, providers_for

__all__ = ["Inspection", "ModelSpec", "OnnxDetector", "OnnxSession", "Selection", "UnknownClasses", "build_detector",
           "inspect_onnx", "metadata_names", "open_session", "providers_for"]
