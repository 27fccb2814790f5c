"""Labeling with a real teacher (`finetune_gain.py --experiment pseudo`): does a student trained on a teacher's
pseudo-labels of unlabelled clips plus 3 human-corrected clips beat one trained on the 3 labelled clips alone?

Clips: the real-pixel scene `real_traffic` (real cut-outs over vtest.avi's street), one seed per clip, imported into
the clip library of the benchmark's own temporary WORKBENCH_HOME. Classes: car, van, bus (the vehicle classes).
  corrected:  seeds 0-2, one frame every 2 s, labelled with the clips' truth boxes (standing in for a labeler's
              corrections): 2 clips train, 1 clip validation (choosing best.pt) for both students
  unlabelled: seeds 3-7; they and the corrected clips are pseudo-labelled by the bundled nanodet-m-416
              (`workbench dataset pseudo`: one frame every 1 s, conf 0.4, class-agnostic NMS, car=car, truck=van,
              bus=bus); human labels win where a frame has both, pseudo frames of the validation clip are left out
  held-out:   seeds 8-9, one frame every 1 s, truth boxes, never used in training or selection
Students: an untrained yolo11n.yaml trained twice in the same run (same epochs, image size, augmentation), through
workbench.features.training.trainer.train; scored by workbench.features.evaluation.detection.compare_models (mAP50).
The teacher's own mAP50 on the held-out frames (supervision's metric, of its mapped boxes) is printed for reference.
Truth boxes count when at least MIN_VISIBLE of the object is seen and both sides are MIN_BOX_PX or more.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CLASSES = ["car", "van", "bus"]
MAPPING = {"car": "car", "truck": "van", "bus": "bus"}
TEACHER, TEACHER_CONF = "nanodet-m-416", 0.4
MIN_VISIBLE, MIN_BOX_PX = 0.25, 4


@dataclass(frozen=True)
class PseudoPlan:
    epochs: int
    imgsz: int
    human_every_s: float
    pseudo_every_s: float
    unlabelled: int  # seeds after the 3 corrected ones
    held_out: int
    seconds: float | None = None  # clip length; None: the whole scene (about 34 s)


FULL = PseudoPlan(epochs=30, imgsz=256, human_every_s=2.0, pseudo_every_s=1.0, unlabelled=5, held_out=2)
QUICK = PseudoPlan(epochs=1, imgsz=160, human_every_s=4.0, pseudo_every_s=4.0, unlabelled=1, held_out=1, seconds=8.0)


def _clips(home: Path, seeds: range, seconds: float | None) -> dict[int, tuple[str, dict]]:
    """Render each seed's clip, import it into the library: {seed: (clip id, truth)}."""
    import dataclasses
    import json

    from workbench.features.finetune.clips import ClipLibrary
    from workbench.features.synth.real import REAL_SCENES, write_real_clip

    out = {}
    for seed in seeds:
        scene = REAL_SCENES["real_traffic"](seed)
        if seconds:
            scene = dataclasses.replace(scene, scenario=dataclasses.replace(scene.scenario, duration=seconds))
        video, truth = write_real_clip(scene, home / "source", seed)
        out[seed] = (ClipLibrary().import_clip(video, tags=["bench"]).id, json.loads(truth.read_text()))
    return out


def _truth_samples(clip_id: str, truth: dict, every_s: float) -> list:
    """Frames every `every_s` of the clip (extracted as the Clips page does) labelled with the truth's boxes."""
    from workbench.features.finetune import sampling
    from workbench.features.labeling.boxes import Box, yolo_box
    from workbench.features.labeling.dataset import Sample

    refs = sampling.uniform(clip_id, every_s=every_s)
    paths = sampling.extract(refs)
    width, height = truth["size"]
    samples = []
    for ref, path in zip(refs, paths, strict=True):
        labels = []
        for t in truth["tracks"]:
            i = ref.frame_index - t["first_frame"]
            if t["class"] not in CLASSES or not 0 <= i < len(t["boxes"]) or t["visibility"][i] < MIN_VISIBLE:
                continue
            x1, y1, x2, y2 = t["boxes"][i]
            box = yolo_box(Box(t["class"], x1, y1, x2, y2).ls_value(width, height))
            if box and min(x2 - x1, y2 - y1) >= MIN_BOX_PX:
                labels.append((CLASSES.index(t["class"]), box))
        samples.append(Sample(clip_id, f"{clip_id}__{ref.frame_index:06d}", labels, image=path,
                              frame=ref.frame_index))
    return samples


def _teacher_map50(teacher, samples: list) -> float:
    """supervision's mAP50 of the teacher's mapped boxes against the samples' labels."""
    import cv2
    import numpy as np
    import supervision as sv
    from supervision.metrics import MeanAveragePrecision

    from workbench.features.labeling.class_map import ClassMap

    mapping = ClassMap.build(MAPPING, teacher.names, CLASSES, teacher.model)
    metric = MeanAveragePrecision()
    for s in samples:
        image = cv2.imread(str(s.image))
        h, w = image.shape[:2]
        boxes, _ = mapping.apply(teacher.detect(image))
        pred = sv.Detections(xyxy=np.array([[b.x1, b.y1, b.x2, b.y2] for b in boxes], float).reshape(-1, 4),
                             confidence=np.array([b.score for b in boxes], float),
                             class_id=np.array([CLASSES.index(b.cls) for b in boxes], int))
        rows = np.array([[(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h]
                         for _, (cx, cy, bw, bh) in s.labels], float).reshape(-1, 4)
        metric.update(pred, sv.Detections(xyxy=rows, class_id=np.array([c for c, _ in s.labels], int)))
    return float(metric.compute().map50)


def run_pseudo(args: argparse.Namespace, home: Path, measure: Callable, train: Callable) -> None:
    """The experiment (see the module docstring); `measure` and `train` are finetune_gain's."""
    from workbench.features.evaluation.detection import compare_models
    from workbench.features.labeling.dataset import write_dataset
    from workbench.features.labeling.pseudo import PseudoSampling, load_part, part_summary, pseudo_label
    from workbench.features.labeling.teacher import open_teacher
    from workbench.features.training.config import TrainConfig

    plan = QUICK if args.quick else FULL
    epochs = args.student_epochs or plan.epochs
    phases: list = []
    root, models = home / "pseudo-bench", home / "pseudo-bench" / "models"
    models.mkdir(parents=True)
    with measure(phases, "render + import real-pixel clips"):
        corrected = _clips(home, range(3), plan.seconds)
        unlabelled = _clips(home, range(3, 3 + plan.unlabelled), plan.seconds)
        held = _clips(home, range(3 + plan.unlabelled, 3 + plan.unlabelled + plan.held_out), plan.seconds)
    val_clip = corrected[2][0]
    with measure(phases, "truth labels (corrected + held-out)"):
        human = [s for cid, truth in corrected.values() for s in _truth_samples(cid, truth, plan.human_every_s)]
        test = [s for cid, truth in held.values() for s in _truth_samples(cid, truth, 1.0)]
        test_data = write_dataset(test, CLASSES, root / "test", val_clips=[cid for cid, _ in held.values()])
        labelled = write_dataset(human, CLASSES, root / "labelled", val_clips=[val_clip])
    teacher = open_teacher(TEACHER, conf=TEACHER_CONF)
    with measure(phases, f"pseudo-labels by {TEACHER}") as phase:
        part = pseudo_label([cid for cid, _ in [*unlabelled.values(), *corrected.values()]], teacher, MAPPING,
                            CLASSES, PseudoSampling(every_s=plan.pseudo_every_s))
        loaded = load_part(part.version)
        combined = write_dataset(human, CLASSES, root / "combined", val_clips=[val_clip], pseudo=loaded.samples,
                                 provenance={"parts": [part_summary(loaded)]})
        phase.note = f"{len(loaded.samples)} frames kept of {len(part.pseudo['frames'])}"
    students = [("labelled", labelled, epochs), ("combined", combined, epochs)]
    if args.equal_steps:  # the labelled clips alone, as many training steps as the combined student got
        students.append(("labelled_steps", labelled,
                         round(epochs * combined.images["train"] / max(1, labelled.images["train"]))))
    for name, data, n in students:
        cfg = TrainConfig(base_model="yolo11n.yaml", model_name=f"bench-{name.replace('_', '-')}", epochs=n,
                          imgsz=plan.imgsz, preset="light", freeze_backbone=False, patience=0, device=args.device)
        with measure(phases, f"student: {name}") as phase:
            result = train(cfg, data.path / "data.yaml", root / f"train_{name}", name, models / f"{name}.pt")
            phase.note = f"{data.images['train']} train images, {n} epochs, {result.seconds_per_epoch} s/epoch wall"
    device = cfg.resolved_device()
    with measure(phases, "evaluation (held-out)"):
        scores = compare_models(test_data.path / "data.yaml", [models / f"{name}.pt" for name, _, _ in students],
                                imgsz=plan.imgsz, device=device)
        teacher_map = _teacher_map50(teacher, test)
    _report(args, plan, [n for _, _, n in students], device, phases, (labelled, combined, test_data), part, scores,
            teacher_map)


def _report(args, plan: PseudoPlan, epochs: list[int], device: str, phases: list, data: tuple, part, scores,
            teacher_map: float) -> None:
    import os

    labelled, combined, test = data
    pseudo = combined.pseudo
    print(f"finetune_gain --experiment pseudo{' (--quick)' if args.quick else ''}: real-pixel real_traffic clips; "
          f"classes {', '.join(CLASSES)}; students from untrained yolo11n.yaml, {epochs[0]} epochs, imgsz "
          f"{plan.imgsz} each (batch 8, light augmentation), device {device}, {os.cpu_count()} CPUs")
    print(f"3 corrected clips (truth, a frame every {plan.human_every_s:g} s): {labelled.images['train']} train / "
          f"{labelled.images['val']} val images; {plan.unlabelled} unlabelled clips + the corrected ones "
          f"pseudo-labelled by {part.pseudo['teacher_version']} (a frame every {plan.pseudo_every_s:g} s, conf "
          f"{TEACHER_CONF}, truck->van): {pseudo['images']['train']} pseudo images added, "
          f"{pseudo['replaced_by_human']} replaced by human labels, {pseudo['left_out_val']} left out (validation "
          f"clip); held-out: {test.images['val']} images of {plan.held_out} clips")
    print()
    print(f"{'phase':40} {'CPU-min':>8} {'wall-min':>9}  notes")
    for p in phases:
        print(f"{p.name:40} {p.cpu_s / 60:8.2f} {p.wall_s / 60:9.2f}  {p.note}")
    only, both = scores.models[0].map50, scores.models[1].map50
    ratio = f"{both / only:.2f}x" if only >= 0.001 else f"n/a (labelled only scores {only:.4f})"
    print()
    print(f"mAP50 on held-out real-pixel clips ({', '.join(CLASSES)}), same run, same epochs and image size:")
    print(f"  student, 3 labelled clips only:              {only:.3f}")
    print(f"  student, pseudo-labels + 3 corrected clips:  {both:.3f}")
    print(f"  ratio (pseudo + corrected) / labelled only:  {ratio}")
    if len(scores.models) > 2:
        steps = scores.models[2].map50
        versus = f"{both / steps:.2f}x" if steps >= 0.001 else "n/a"
        print(f"  student, 3 labelled clips, {epochs[2]} epochs (as many steps as pseudo + corrected): {steps:.3f}"
              f" (ratio pseudo + corrected / this: {versus})")
    print(f"  teacher {TEACHER} itself (reference; supervision's mAP50 of its mapped boxes): {teacher_map:.3f}")
    print()
    print(scores.format_text("en"))
