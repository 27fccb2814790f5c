"""`workbench` command line: blocks, validate, run, zoo, synth. User errors print without a traceback, exit 1."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from workbench.core.arg_types import non_negative_float, non_negative_int, positive_float, positive_int
from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import LANGUAGES, current_language, t

EXIT_OK, EXIT_USER_ERROR = 0, 1


def _print_problems(problems: Sequence[Problem], as_json: bool = False) -> None:
    if as_json:
        print(json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2))
        return
    for p in problems:
        print(f"  {p.severity}: {p.where()}: {p.message()}", file=sys.stderr)


def cmd_blocks(args: argparse.Namespace) -> int:
    from workbench.core.registry import default_registry

    reg = default_registry()
    described = reg.describe()
    if args.json:
        print(json.dumps({"blocks": described, "broken_plugins": reg.broken}, ensure_ascii=False, indent=2))
        return EXIT_OK
    lang = current_language()
    for d in described:
        ins = ", ".join(f"{p['name']}:{p['kind']}{'' if p['required'] else '?'}" for p in d["inputs"]) or "-"
        outs = ", ".join(f"{p['name']}:{p['kind']}" for p in d["outputs"]) or "-"
        print(f"{d['type']:<34} {d['title'][lang]}")
        print(f"{'':<34} in [{ins}]  out [{outs}]")
    for origin, detail in reg.broken.items():
        print(t("cli.broken_plugin", origin=origin, detail=detail), file=sys.stderr)
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from workbench.core.registry import default_registry
    from workbench.engine.spec import load_spec
    from workbench.engine.validate import errors_only, validate

    spec = load_spec(args.file)
    problems = validate(spec, default_registry())
    if args.json:
        _print_problems(problems, as_json=True)
    elif problems:
        print(t("cli.problems", path=args.file, count=len(problems)), file=sys.stderr)
        _print_problems(problems)
    if errors_only(problems):
        return EXIT_USER_ERROR
    if not args.json:
        print(t("cli.valid", path=args.file, nodes=len(spec.nodes), edges=len(spec.edges)))
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from workbench.engine.runner import RunOptions, run_pipeline
    from workbench.engine.spec import load_spec
    from workbench.engine.validate import site_pending_problems

    spec = load_spec(args.pipeline)
    _print_problems(site_pending_problems(spec))  # an imported algorithm not yet adapted to this camera: say so
    bar = None

    def progress(done: int, total: int | None, fps: float) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit=t("cli.progress"), disable=args.quiet, dynamic_ncols=True, file=sys.stderr)
        bar.update(done - bar.n)
        bar.set_postfix(fps=f"{fps:.1f}", refresh=False)

    opts = RunOptions(out_dir=Path(args.out), source=args.source, stride=args.stride, start=args.start, end=args.end,
                      max_frames=args.max_frames, camera=args.camera or "", on_progress=progress)
    try:
        summary = run_pipeline(spec, opts)
    finally:
        if bar is not None:
            bar.close()
    print(t("cli.run_done", status=summary["status"], frames=summary["frames"], fps=summary["processing_fps"],
            events=summary.get("event_total", 0), out=args.out))
    if summary.get("stopped_early"):
        print(f"  {summary['stopped_early']}", file=sys.stderr)
        return EXIT_USER_ERROR
    return EXIT_OK


def cmd_confirm(args: argparse.Namespace) -> int:
    """Confirm, after checking them, the settings an imported pipeline uses to reach outside (its nodes named)."""
    from workbench.engine.spec import load_spec, save_spec
    from workbench.features.sharing.install import clear_site_pending, outward_values

    spec = load_spec(args.pipeline)
    pending = (spec.meta.model_extra or {}).get("outward_pending") or {}
    for node in args.nodes:
        if node not in pending:
            print(t("cli.confirm_nothing", node=node, pending=", ".join(pending) or "-"), file=sys.stderr)
            return EXIT_USER_ERROR
    for node in args.nodes:
        print(t("cli.confirmed", node=node, values=outward_values(spec, node, list(pending[node]))))
        spec = clear_site_pending(spec, node, "outward_pending")
    save_spec(spec, args.pipeline)
    return EXIT_OK


def cmd_zoo_list(args: argparse.Namespace) -> int:
    from workbench.models.zoo import list_models

    models = list_models()
    if args.json:
        print(json.dumps([m.model_dump(mode="json") for m in models], ensure_ascii=False, indent=2))
        return EXIT_OK
    for m in models:
        print(f"{m.id:<24} {m.format:<11} {len(m.classes):>3} classes  {m.license:<12} {m.description}")
    return EXIT_OK


def cmd_zoo_import(args: argparse.Namespace) -> int:
    from workbench.models.zoo import import_weights

    classes = [c.strip() for c in args.classes.split(",") if c.strip()] if args.classes else None
    model_id = args.id or Path(args.file).stem  # an invalid stem is refused naming --id
    manifest = import_weights(Path(args.file), model_id, classes, format=args.format or "ultralytics")
    print(f"{manifest.id}: {manifest.format}, {len(manifest.classes)} classes, sha256 {manifest.weights.sha256}")
    return EXIT_OK


def cmd_synth(args: argparse.Namespace) -> int:
    from workbench.features.synth import generate

    clip = generate(args.scenario, Path(args.out), seed=args.seed)
    print(json.dumps({"video": str(clip.video), "truth": str(clip.truth)}))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description="No-code video algorithm workbench")
    parser.add_argument("--lang", choices=LANGUAGES, help="language of messages (default: WORKBENCH_LANG or LANG)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("blocks", help="describe every installed block (palette of the UI)")
    p.add_argument("--json", action="store_true", help="machine-readable: ports, kinds, config JSON schema")
    p.set_defaults(func=cmd_blocks)

    p = sub.add_parser("validate", help="list every problem of a pipeline file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("confirm", help="confirm an imported pipeline's addresses and headers after checking them")
    p.add_argument("pipeline")
    p.add_argument("nodes", nargs="+", help="the nodes whose outward settings you checked (see `validate`)")
    p.set_defaults(func=cmd_confirm)

    p = sub.add_parser("run", help="run a pipeline on a video and write results to a folder")
    p.add_argument("pipeline")
    p.add_argument("--source", help="video file/URL replacing the pipeline's source path")
    p.add_argument("--out", required=True, help="result folder (events, annotated.mp4, snapshots, summary.json)")
    p.add_argument("--max-frames", type=positive_int, help="stop after this many processed frames")
    p.add_argument("--stride", type=positive_int, help="process every Nth frame")
    p.add_argument("--start", type=non_negative_float, help="start at this second of the video")
    p.add_argument("--end", type=positive_float, help="stop at this second of the video")
    p.add_argument("--camera", help="camera id written into events")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)

    zoo = sub.add_parser("zoo", help="model zoo: list models, import weights")
    zsub = zoo.add_subparsers(dest="zoo_command", required=True)
    p = zsub.add_parser("list")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_zoo_list)
    p = zsub.add_parser("import", help="copy a weights file into the model cache and write its manifest")
    p.add_argument("file", help="weights: .pt or .onnx (ultralytics), or .onnx with --format")
    p.add_argument("--id", help="model id used in pipelines (detectors' `model` setting); default: the file's name")
    p.add_argument("--format", choices=("yolo", "nanodet"),
                   help="run the ONNX file without torch (detection/onnx): yolo = an ultralytics YOLO detection "
                        "export, nanodet = NanoDet; the file is checked against the format. Default: ultralytics")
    p.add_argument("--classes", help="class names in class-id order, comma-separated (needed when the file has "
                                     "none, e.g. NanoDet)")
    p.set_defaults(func=cmd_zoo_import)

    p = sub.add_parser("synth", help="generate a synthetic clip with ground truth")
    p.add_argument("scenario", help="drawn scenes (traffic, restricted_zone, fire_lane, muck_truck, demo) or "
                                    "real-pixel scenes (real_traffic, real_people, real_gate, real_demo; need "
                                    "Debian opencv-doc)")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.set_defaults(func=cmd_synth)
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_parsers(sub)
    return parser


# Command groups that live beside their feature; each module has `add_parsers(subparsers)`.
COMMAND_MODULES = tuple(f"workbench.features.{name}" for name in (
    "finetune.cli_clips", "labeling.cli_labeling", "training.cli_training", "evaluation.cli_eval", "sharing.cli_keys",
    "sharing.cli_registry", "streams.cli_serve", "batch.cli_batch", "accounts.cli_users", "accounts.cli_audit",
    "events.cli_events"))


def main(argv: Sequence[str] | None = None) -> int:
    # --lang first: refusals of option values (workbench.core.arg_types) are written while the line is parsed
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lang", choices=LANGUAGES)
    lang = early.parse_known_args(argv)[0].lang
    if lang:
        os.environ["WORKBENCH_LANG"] = lang
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.lang:
        os.environ["WORKBENCH_LANG"] = args.lang
    start, end = getattr(args, "start", None), getattr(args, "end", None)
    if start is not None and end is not None and end <= start:  # every command with a --start/--end window
        parser.error(t("cli.arg_end_after_start", start=start, end=end))
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except WorkbenchError as exc:
        if args.debug:
            raise
        _print_problems(exc.problems)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
