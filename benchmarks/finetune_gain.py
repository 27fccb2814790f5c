"""Fine-tune gain: does a detector learn a new camera from 3 labeled clips, and what does it cost in CPU time?

Domains (workbench.features.synth.domains):
  A = street_day: traffic, demo and fire_lane clips in daylight (cars, vans, trucks, buses, people; no muck trucks)
  B = site_dusk:  muck_truck clips (muck trucks leave a construction-site gate) through a dusk camera look
                  (darker, blue cast, softer, noisier)
Labels come from the generator's truth (workbench.features.training.synthetic_dataset.build_synthetic_dataset).

Phases, measured side by side in one run (CPU = this process's time.process_time + finished children; wall):
  1. base: an untrained yolo11n.yaml trained from scratch on A (nothing is downloaded)
  2. fine-tune: the base's best.pt fine-tuned on 3 labeled clips of B, split by clip as the workbench does
     (2 clips train, 1 clip validation for choosing best.pt)
  3. evaluation (workbench.features.evaluation.detection.compare_models): base vs fine-tuned on held-out B clips (never
  used
     in training or selection) and on A's validation clips (forgetting)
Both trainings go through workbench.features.training.trainer.train (MLflow run, ONNX export, registration included),
recorded
in a temporary WORKBENCH_HOME (embedded sqlite MLflow) that is deleted at the end unless --keep.

Goal (issue 4): +0.3 mAP50 on B within 10 CPU-minutes of fine-tuning.

`--experiment pseudo` (or `both`) runs the teacher experiment of benchmarks/finetune_pseudo.py instead (or after):
students from a teacher's pseudo-labels + 3 corrected real-pixel clips vs from the 3 labelled clips alone.

Run: .venv/bin/python benchmarks/finetune_gain.py [--experiment domain|pseudo|both] [--quick] [--device cpu|auto|cuda]
     [--no-freeze] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

GOAL_GAIN, GOAL_CPU_MINUTES = 0.3, 10.0


@dataclass
class Phase:
    name: str
    cpu_s: float = 0.0
    wall_s: float = 0.0
    note: str = ""


def _cpu() -> float:
    t = os.times()
    return time.process_time() + t.children_user + t.children_system


@contextlib.contextmanager
def measure(phases: list[Phase], name: str) -> Iterator[Phase]:
    phase = Phase(name)
    cpu, wall = _cpu(), time.perf_counter()
    try:
        yield phase
    finally:
        phase.cpu_s, phase.wall_s = _cpu() - cpu, time.perf_counter() - wall
        phases.append(phase)
        print(f"  [{name}] {phase.cpu_s / 60:.2f} CPU-min, {phase.wall_s / 60:.2f} wall-min", file=sys.stderr)


@dataclass(frozen=True)
class Plan:
    """Sizes of one benchmark run."""

    every: int  # keep every n-th frame of a clip (25 fps: 25 = one frame per second)
    a_train: int  # domain A clips
    a_val: int
    base_epochs: int
    ft_epochs: int
    imgsz: int = 320


FULL = Plan(every=25, a_train=3, a_val=2, base_epochs=40, ft_epochs=75)  # early stop (patience 10) ends sooner
QUICK = Plan(every=125, a_train=2, a_val=1, base_epochs=1, ft_epochs=1, imgsz=160)
B_TRAIN, B_VAL, B_TEST = 2, 1, 2  # 3 labeled clips (2 train + 1 validation), 2 held-out clips


def _count(folder: Path) -> int:
    return len(list(folder.glob("*.jpg"))) if folder.is_dir() else 0


def build_data(root: Path, plan: Plan) -> dict[str, Path]:
    """The three datasets (A, B fine-tune, B held-out); B's images get the dusk look. Returns their data.yaml."""
    from workbench.features.synth.domains import SITE_DUSK, STREET_DAY, restyle_images
    from workbench.features.training.synthetic_dataset import build_synthetic_dataset

    # A's validation seeds start at 10 so they never repeat a training clip; B: seeds 0-1 train, 2 val, 3-4 test
    a = build_synthetic_dataset(root / "A", train=STREET_DAY.clips(plan.a_train),
                                val=STREET_DAY.clips(plan.a_val, first_seed=10), every=plan.every)
    b = build_synthetic_dataset(root / "B_finetune", train=SITE_DUSK.clips(B_TRAIN),
                                val=SITE_DUSK.clips(B_VAL, first_seed=B_TRAIN), every=plan.every)
    test = build_synthetic_dataset(root / "B_test", train=(), val=SITE_DUSK.clips(B_TEST, first_seed=B_TRAIN + B_VAL),
                                   every=plan.every)
    (root / "B_test" / "images" / "train").mkdir(parents=True, exist_ok=True)
    restyle_images(root / "B_finetune" / "images", SITE_DUSK.look, seed=1)
    restyle_images(root / "B_test" / "images", SITE_DUSK.look, seed=2)
    return {"A": a, "B": b, "B_test": test}


def _sizes(data: dict[str, Path]) -> str:
    n = {k: (_count(p.parent / "images" / "train"), _count(p.parent / "images" / "val")) for k, p in data.items()}
    return (f"A: {n['A'][0]} train / {n['A'][1]} val images; B (3 labeled clips): {n['B'][0]} train "
            f"({B_TRAIN} clips) / {n['B'][1]} val ({B_VAL} clip); B held-out: {n['B_test'][1]} images ({B_TEST} clips)")


def _train(config, data_yaml: Path, work: Path, name: str, out: Path):
    from workbench.features.training.trainer import train

    with contextlib.redirect_stdout(sys.stderr):  # ultralytics' training log goes to stderr, results to stdout
        result = train(config, data_yaml, work, run_name=name)
    if result.state != "done" or not result.best_pt:
        raise SystemExit(f"{name}: training ended as {result.state}")
    shutil.copyfile(result.best_pt, out)
    return result


def _verdict(gain: float, ft_cpu_min: float, base_b: float, quick: bool) -> str:
    met = gain >= GOAL_GAIN and ft_cpu_min <= GOAL_CPU_MINUTES
    why = []
    if gain < GOAL_GAIN:
        why.append(f"gain {gain:+.3f} < +{GOAL_GAIN}")
        if 1.0 - base_b < GOAL_GAIN:
            why.append(f"the base already scores {base_b:.3f} on B, so at most {1.0 - base_b:+.3f} is possible")
    if ft_cpu_min > GOAL_CPU_MINUTES:
        why.append(f"the fine-tune took {ft_cpu_min:.2f} CPU-min > {GOAL_CPU_MINUTES:.0f}")
    text = f"GOAL +{GOAL_GAIN} mAP50 on B within {GOAL_CPU_MINUTES:.0f} CPU-minutes of fine-tuning: " \
           f"{'MET' if met else 'NOT MET'}" + (f" ({'; '.join(why)})" if why else "")
    return text + (" [--quick smoke run: numbers say nothing about the goal]" if quick else "")


def run(args: argparse.Namespace, home: Path) -> None:
    from workbench.features.evaluation.detection import compare_models
    from workbench.features.training.config import TrainConfig

    plan = QUICK if args.quick else FULL
    plan = replace(plan, base_epochs=args.base_epochs or plan.base_epochs, ft_epochs=args.ft_epochs or plan.ft_epochs)
    phases: list[Phase] = []
    root, models = home / "bench", home / "bench" / "models"
    models.mkdir(parents=True)

    with measure(phases, "build datasets"):
        data = build_data(root, plan)
    base_cfg = TrainConfig(base_model="yolo11n.yaml", model_name="bench-base", epochs=plan.base_epochs,
                           imgsz=plan.imgsz, preset="light", freeze_backbone=False, patience=0, device=args.device)
    with measure(phases, "base training on A (from scratch)") as phase:
        base = _train(base_cfg, data["A"], root / "train_base", "base", models / "base.pt")
        phase.note = f"{base.epochs_done} epochs, {base.seconds_per_epoch} s/epoch wall"
    ft_cfg = TrainConfig(base_model=str(models / "base.pt"), model_name="bench-finetuned", epochs=plan.ft_epochs,
                         imgsz=plan.imgsz, preset="light", freeze_backbone=args.freeze, device=args.device)
    with measure(phases, "fine-tune on B (3 clips)") as phase:
        ft = _train(ft_cfg, data["B"], root / "train_ft", "finetune", models / "finetuned.pt")
        phase.note = f"{ft.epochs_done} epochs, {ft.seconds_per_epoch} s/epoch wall, freeze_backbone={args.freeze}"
    device = base_cfg.resolved_device()
    refs = [models / "base.pt", models / "finetuned.pt"]
    with measure(phases, "evaluation (B held-out + A val)"):
        on_b = compare_models(data["B_test"], refs, imgsz=plan.imgsz, device=device)
        on_a = compare_models(data["A"], refs, imgsz=plan.imgsz, device=device)

    base_b, ft_b = on_b.models[0].map50, on_b.models[1].map50
    base_a, ft_a = on_a.models[0].map50, on_a.models[1].map50
    ft_cpu_min = phases[2].cpu_s / 60
    print(f"finetune_gain{' (--quick)' if args.quick else ''}: A = street_day (daylight street), "
          f"B = site_dusk (muck trucks at a site gate, dusk camera); imgsz {plan.imgsz}, device {device}, "
          f"{os.cpu_count()} CPUs")
    print(_sizes(data))
    print()
    print(f"{'phase':36} {'CPU-min':>8} {'wall-min':>9}  notes")
    for p in phases:
        print(f"{p.name:36} {p.cpu_s / 60:8.2f} {p.wall_s / 60:9.2f}  {p.note}")
    print()
    print(f"mAP50 on B held-out: base {base_b:.3f} -> fine-tuned {ft_b:.3f} (gain {ft_b - base_b:+.3f})")
    print(f"mAP50 on A val:      base {base_a:.3f} -> fine-tuned {ft_a:.3f} (forgetting {base_a - ft_a:+.3f})")
    print()
    print("B held-out, per class:")
    print(on_b.format_text("en"))
    print()
    print(_verdict(ft_b - base_b, ft_cpu_min, base_b, args.quick))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: a few images, 1 epoch each (~1-2 min)")
    parser.add_argument("--device", choices=("cpu", "auto", "cuda"), default="cpu")
    parser.add_argument("--freeze", action=argparse.BooleanOptionalAction, default=True,
                        help="freeze the backbone while fine-tuning (the training form's default for few clips)")
    parser.add_argument("--base-epochs", type=int, help=f"base training epochs (default {FULL.base_epochs})")
    parser.add_argument("--ft-epochs", type=int, help=f"fine-tune epochs (default {FULL.ft_epochs})")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workbench home and print its path")
    parser.add_argument("--experiment", choices=("domain", "pseudo", "both"), default="domain",
                        help="domain: base on A, fine-tune on B (default); pseudo: students from a teacher's "
                             "pseudo-labels + 3 corrected real-pixel clips vs the 3 clips alone (finetune_pseudo.py)")
    parser.add_argument("--student-epochs", type=int, help="pseudo: epochs of each student (default 30)")
    parser.add_argument("--equal-steps", action="store_true",
                        help="pseudo: also train the labelled-only student for as many steps as the other gets")
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="wb-finetune-gain-"))
    # everything (datasets, trainings, MLflow sqlite + artifacts, ultralytics settings) stays in this temporary home
    os.environ["WORKBENCH_HOME"] = str(home)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    started = time.perf_counter()
    try:
        if args.experiment in ("domain", "both"):
            run(args, home)
        if args.experiment in ("pseudo", "both"):
            from finetune_pseudo import run_pseudo

            print()
            run_pseudo(args, home, measure, _train)
    finally:
        print(f"total wall time {(time.perf_counter() - started) / 60:.2f} min")
        if args.keep:
            print(f"kept: {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
