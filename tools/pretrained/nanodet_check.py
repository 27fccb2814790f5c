"""Checks of a converted NanoDet-m 416 ONNX on real pictures (runs in build_nanodet.py's pinned venv).

1. The ONNX (onnxruntime) computes what the TensorFlow SavedModel computes: max abs difference of every output.
2. The head is what model_zoo/nanodet-m-416.yaml says: per stride 8/16/32 class scores [1, N, 80] and box
   distributions [1, N, 4 x (reg_max 10 + 1)].
3. Decoded detections equal the reviewed ones in nanodet_reference.json, and the expected objects are there
   (bus.jpg: a bus and people; vtest.avi: people in every frame, the parked van as a truck).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

SIZE = 416
REG_MAX = 10
NUM_CLASSES = 80
MEAN = np.array([103.53, 116.28, 123.675], np.float32)  # BGR, NanoDet's training normalisation
STD = np.array([57.375, 57.12, 58.395], np.float32)
COCO = ["person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
        "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
        "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee", "skis",
        "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
        "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
        "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
        "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
        "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
        "hair drier", "toothbrush"]

Detection = tuple[str, float, list[float]]  # class name, score, [x1, y1, x2, y2] in the picture's pixels


def preprocess(bgr: np.ndarray) -> np.ndarray:
    """BGR picture -> [1, 3, 416, 416] float32: stretched to 416 x 416, (pixel - mean) / std per BGR channel."""
    img = cv2.resize(bgr, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    return np.ascontiguousarray(((img - MEAN) / STD).transpose(2, 0, 1)[None])


def head_layout(outputs: dict[str, np.ndarray]) -> list[tuple[int, str, str]]:
    """(stride, class-score output, box output) per level, found from the shapes; fails on any other layout."""
    levels: dict[int, dict[int, str]] = {}
    for name, value in outputs.items():
        batch, cells, channels = value.shape
        side = math.isqrt(cells)
        if batch != 1 or side * side != cells or SIZE % side or channels not in (NUM_CLASSES, 4 * (REG_MAX + 1)):
            raise SystemExit(f"unexpected output {name} {value.shape}")
        levels.setdefault(SIZE // side, {})[channels] = name
    layout = [(s, lv[NUM_CLASSES], lv[4 * (REG_MAX + 1)]) for s, lv in sorted(levels.items())]
    if [s for s, _, _ in layout] != [8, 16, 32]:
        raise SystemExit(f"strides {[s for s, _, _ in layout]} are not [8, 16, 32]")
    return layout


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[int]:
    """Indices kept by greedy non-maximum suppression, best score first."""
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while len(order):
        i, rest = order[0], order[1:]
        keep.append(int(i))
        w = np.clip(np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0]), 0, None)
        h = np.clip(np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1]), 0, None)
        overlap = w * h / (areas[i] + areas[rest] - w * h + 1e-9)
        order = rest[overlap <= iou]
    return keep


def decode(outputs: dict[str, np.ndarray], layout: list[tuple[int, str, str]], width: int, height: int,
           conf: float, iou: float) -> list[Detection]:
    """NanoDet GFL head: best class per cell, box = cell centre -/+ (softmax expectation of each side x stride);
    per-class NMS; boxes scaled back to the picture."""
    boxes, scores, labels = [], [], []
    for stride, cls_name, box_name in layout:
        cls, reg = outputs[cls_name][0], outputs[box_name][0]
        side = SIZE // stride
        best, label = cls.max(1), cls.argmax(1)
        keep = best >= conf
        if not keep.any():
            continue
        ys, xs = np.divmod(np.nonzero(keep)[0], side)
        cx, cy = (xs + 0.5) * stride, (ys + 0.5) * stride
        dist = reg[keep].reshape(-1, 4, REG_MAX + 1)
        dist = np.exp(dist - dist.max(2, keepdims=True))
        dist /= dist.sum(2, keepdims=True)
        ltrb = (dist * np.arange(REG_MAX + 1, dtype=np.float32)).sum(2) * stride
        boxes.append(np.stack([cx - ltrb[:, 0], cy - ltrb[:, 1], cx + ltrb[:, 2], cy + ltrb[:, 3]], 1))
        scores.append(best[keep])
        labels.append(label[keep])
    if not boxes:
        return []
    box, score, label = np.concatenate(boxes), np.concatenate(scores), np.concatenate(labels)
    box = np.clip(box * np.array([width, height, width, height], np.float32) / SIZE, 0,
                  np.array([width, height, width, height], np.float32))
    found: list[Detection] = []
    for c in np.unique(label):
        idx = np.nonzero(label == c)[0]
        for k in nms(box[idx], score[idx], iou):
            i = idx[k]
            found.append((COCO[int(c)], round(float(score[i]), 3), [round(float(v), 1) for v in box[i]]))
    return sorted(found, key=lambda d: (-d[1], d[0]))


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_pictures(images: list[Path], vtest: Path | None, every: int) -> dict[str, np.ndarray]:
    """The pictures by key: each image by file name, every `every`-th frame of vtest.avi as 'vtest.avi#<frame>'."""
    pictures = {}
    for path in images:
        img = cv2.imread(str(path))
        if img is None:
            raise SystemExit(f"cannot read {path}")
        pictures[path.name] = img
    if vtest is not None:
        cap = cv2.VideoCapture(str(vtest))
        index = 0
        ok, frame = cap.read()
        while ok:
            if index % every == 0:
                pictures[f"{vtest.name}#{index}"] = frame
            index += 1
            ok, frame = cap.read()
        cap.release()
        if index == 0:
            raise SystemExit(f"no frames decoded from {vtest}")
    return pictures


def iou_of(a: list[float], b: list[float]) -> float:
    """Intersection over union of two boxes."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else 0.0


def compare(key: str, ref: list[Detection], found: list[Detection], tol: dict[str, float], conf: float) -> list[str]:
    """Every detection clearly above the threshold on one side has its twin on the other (same class, score and
    corners within tolerance); those within `margin` of the threshold may come and go."""
    problems = []
    sure = conf + tol["margin"]
    for side, mine, theirs in (("reference", ref, found), ("new", found, ref)):
        for cls, score, box in mine:
            if score < sure:
                continue
            twins = [d for d in theirs if d[0] == cls and abs(d[1] - score) <= tol["score"]
                     and max(abs(u - v) for u, v in zip(d[2], box, strict=True)) <= tol["box_px"]]
            if not twins:
                problems.append(f"{key}: {side} detection {cls} {score:.3f} {box} has no match")
    return problems


def expectations(expect: dict, dets: dict[str, list[Detection]]) -> list[str]:
    """The objects a person sees in the pictures (nanodet_reference.json 'expect')."""
    problems = []
    for name, rules in expect.items():
        keys = [k for k in dets if k == name or k.startswith(name + "#")]
        if not keys:
            continue  # that input was not given (vtest.avi is optional)
        counts = [{c: sum(d[0] == c for d in dets[k]) for c in COCO} for k in keys]
        for cls, n in rules.get("min_count", {}).items():
            bad = [k for k, cnt in zip(keys, counts, strict=True) if cnt[cls] < n]
            if bad:
                problems.append(f"fewer than {n} {cls} in {bad}")
        for cls, mean in rules.get("min_mean_count", {}).items():
            got = sum(cnt[cls] for cnt in counts) / len(counts)
            if got < mean:
                problems.append(f"{name}: {got:.2f} {cls} per frame, expected at least {mean}")
        for cls, share in rules.get("min_share_of_frames", {}).items():
            got = sum(cnt[cls] > 0 for cnt in counts) / len(counts)
            if got < share:
                problems.append(f"{name}: {cls} in {got:.0%} of the frames, expected at least {share:.0%}")
    return problems


def dump_reference(ref: dict) -> str:
    """The reference file's text: readable settings, then one detection per line."""
    head = json.dumps({k: v for k, v in ref.items() if k != "detections"}, indent=1, ensure_ascii=False)
    rows = [f" {json.dumps(k)}: [\n  " + ",\n  ".join(json.dumps(d) for d in v) + "\n ]"
            for k, v in ref["detections"].items()]
    return head[:-2] + ',\n "detections": {\n' + ",\n".join(rows) + "\n }\n}\n"


def batch_problems(session: ort.InferenceSession, frames: list[np.ndarray]) -> list[str]:
    """The file takes several frames at once (workbench serve batches cameras) and at 320 px: each frame of a batch
    gives what it gives alone."""
    name = session.get_inputs()[0].name
    batched = session.run(None, {name: np.concatenate(frames)})
    problems = []
    for k, frame in enumerate(frames):
        alone = session.run(None, {name: frame})
        diff = max(float(np.abs(b[k] - a[0]).max()) for b, a in zip(batched, alone, strict=True))
        if diff > 1e-4:
            problems.append(f"frame {k} of a batch of {len(frames)} differs from its single run by {diff:.2e}")
    small = session.run(None, {name: np.zeros((1, 3, 320, 320), np.float32)})
    if small[0].shape[1] != (320 // 8) ** 2:
        problems.append(f"at 320 px the stride-8 output has {small[0].shape[1]} cells, not {(320 // 8) ** 2}")
    return problems


def main() -> int:
    """Run every check; write the report; exit 1 with the problems listed when one fails."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("images", nargs="+", type=Path)
    p.add_argument("--onnx", type=Path, required=True)
    p.add_argument("--saved", type=Path, required=True, help="the SavedModel the ONNX was made from")
    p.add_argument("--reference", type=Path, required=True)
    p.add_argument("--vtest", type=Path)
    p.add_argument("--report", type=Path, required=True)
    p.add_argument("--write-reference", action="store_true")
    args = p.parse_args()
    ref = json.loads(args.reference.read_text())
    inputs = [*args.images, *([args.vtest] if args.vtest else [])]
    problems = [f"{path.name}: sha256 {sha256_of(path)} is not the pinned {ref['inputs'][path.name]['sha256']}"
                for path in inputs if sha256_of(path) != ref["inputs"][path.name]["sha256"]]
    if problems:
        raise SystemExit("\n".join(problems))
    pictures = load_pictures(args.images, args.vtest, ref["vtest_every"])

    import tensorflow as tf  # after OpenCV and onnxruntime: TensorFlow is slow to import

    serve = tf.saved_model.load(str(args.saved)).signatures["serving_default"]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(args.onnx), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    conf, iou = ref["decode"]["conf"], ref["decode"]["iou"]
    max_diff, dets, layout = 0.0, {}, None
    for key, bgr in pictures.items():
        x = preprocess(bgr)
        got = dict(zip(names, session.run(None, {session.get_inputs()[0].name: x}), strict=True))
        want = {k: v.numpy() for k, v in serve(**{session.get_inputs()[0].name: tf.constant(x)}).items()}
        max_diff = max(max_diff, *(float(np.abs(got[k] - want[k]).max()) for k in names))
        layout = layout or head_layout(got)
        dets[key] = decode(got, layout, bgr.shape[1], bgr.shape[0], conf, iou)
    if max_diff > ref["tolerance"]["max_abs_diff"]:
        problems.append(f"ONNX and TensorFlow differ by {max_diff:.2e} (> {ref['tolerance']['max_abs_diff']})")
    problems += expectations(ref["expect"], dets)
    if args.write_reference:
        ref["detections"] = {**ref.get("detections", {}), **dets}
        args.reference.write_text(dump_reference(ref))
    else:
        problems += [f"{key}: in the reference but not checked" for key in ref["detections"]
                     if key not in dets and (args.vtest or "#" not in key)]
        for key, found in dets.items():
            problems += compare(key, [tuple(d) for d in ref["detections"].get(key, [])], found, ref["tolerance"],
                                conf)
    problems += batch_problems(session, [preprocess(bgr) for bgr in list(pictures.values())[:3]])
    frame = preprocess(next(iter(pictures.values())))
    started = time.perf_counter()
    for _ in range(20):
        session.run(None, {session.get_inputs()[0].name: frame})
    fps = 20 / (time.perf_counter() - started)
    vtest_keys = [k for k in dets if "#" in k]
    report = {
        "max_abs_diff_onnx_vs_tf": max_diff, "pictures": len(pictures),
        "head": [f"stride {s}: scores {list(got[c].shape)}, boxes {list(got[b].shape)}" for s, c, b in layout or []],
        "detections": {k: ", ".join(f"{c} {s:.2f}" for c, s, _ in v) for k, v in dets.items() if "#" not in k},
        "vtest_frames": len(vtest_keys),
        "vtest_per_frame": {c: round(sum(d[0] == c for k in vtest_keys for d in dets[k]) / max(1, len(vtest_keys)),
                                     2) for c in ("person", "car", "truck")},
        "onnx_fps_2_threads": round(fps, 1), "problems": problems,
    }
    args.report.write_text(json.dumps(report, indent=1))
    for problem in problems:
        print(f"CHECK FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
