"""`workbench train DATA_YAML ...` (a background training followed live) and `workbench models promote NAME VERSION`.

Wiring (workbench/apps/cli.py, in build_parser after the other subcommands): `cli_training.add_parser(sub)`.
"""

from __future__ import annotations

import argparse
import sys
import time

from workbench.core import arg_types
from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import t

EXIT_OK, EXIT_USER_ERROR, EXIT_INTERRUPTED = 0, 1, 130
POLL_S = 0.5


def _config(args: argparse.Namespace):
    from pydantic import ValidationError

    from workbench.features.training.config import TrainConfig

    given = {"base_model": args.base, "model_name": args.name, "epochs": args.epochs, "imgsz": args.imgsz,
             "preset": args.preset, "freeze_backbone": args.freeze, "batch": args.batch, "device": args.device,
             "patience": args.patience}
    try:
        return TrainConfig(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(x) for x in err["loc"])
            problems.append(Problem("training_option_invalid", field=where, params={"field": where,
                                                                                     "detail": err["msg"]}))
        raise WorkbenchError(problems) from exc


def _print_epochs(progress: dict, shown: int) -> int:
    for entry in progress.get("history", [])[shown:]:
        loss = sum(entry.get("losses", {}).values())
        map50 = "-" if entry.get("mAP50") is None else f"{entry['mAP50']:.3f}"
        print(t("cli.train_epoch", epoch=entry["epoch"], epochs=progress.get("epochs"), loss=f"{loss:.3f}",
                map50=map50, seconds=entry.get("seconds")), flush=True)
    return len(progress.get("history", []))


def _problem(w: dict) -> Problem:
    return Problem(w["code"], field=w.get("field"), params=w.get("params") or {}, severity="warning")


def _print_problems(problems: list[Problem], shown: set[str]) -> None:
    """Warnings not shown yet (by code), one line each on stderr."""
    from workbench.features.training.jobs import safe_message

    for problem in problems:
        if problem.code in shown:
            continue
        shown.add(problem.code)
        print(f"  warning: {problem.where()}: {safe_message(problem, None)}", file=sys.stderr, flush=True)


LOUD = frozenset({"zero", "no_better"})


def _print_outcome(result: dict) -> None:
    """The done line; a model that finds nothing or is no better than its base is said loudly, on both streams."""
    version = {"model": result["model_name"], "version": result["version"], "alias": result["alias"],
               "run": result["run_id"], "uri": result["tracking_uri"]}
    map50 = result.get("final_metrics", {}).get("metrics/mAP50(B)")
    shown = "-" if map50 is None else f"{map50:.3f}"
    if result.get("verdict") in LOUD:
        bar = "!" * 78
        loud = [p for p in map(_problem, result.get("warnings", [])) if p.field == "mAP50"]
        print("\n".join([bar, *(f"!! {p.message()}" for p in loud), bar]), file=sys.stderr, flush=True)
        print(t("cli.train_done_unusable", map50=shown, **version))
        return
    print(t("cli.train_done", **version))
    base = result.get("base_map50")
    if base is None:
        print(t("cli.train_verdict_unscored", map50=shown))
    else:
        print(t("cli.train_verdict_better", map50=shown, base_map50=f"{base:.3f}"))


def cmd_train(args: argparse.Namespace) -> int:
    from workbench.features.training.dataset_check import check_dataset
    from workbench.features.training.jobs import LOG_FILE, cancel_training, job_dir, start_training, training_status

    config = _config(args)
    shown: set[str] = set()
    _print_problems(list(check_dataset(args.data).warnings), shown)  # bad input fails here, before a worker starts
    job = start_training(config, args.data)
    print(t("cli.train_started", job=job, folder=job_dir(job)), flush=True)
    epochs, interrupted = 0, False
    while True:
        try:
            status = training_status(job)
            _print_problems([_problem(n) for n in status.progress.get("notices", [])], shown)
            epochs = _print_epochs(status.progress, epochs)
            if status.finished:
                break
            time.sleep(POLL_S)
        except KeyboardInterrupt:
            interrupted = True
            cancel_training(job)
    if status.problems:
        raise WorkbenchError(status.problems)
    result = status.result or {}
    _print_problems([_problem(w) for w in result.get("warnings", []) if w.get("field") != "mAP50"], shown)
    if status.state == "done":
        _print_outcome(result)
        return EXIT_OK
    if status.state == "cancelled":
        print(t("cli.train_cancelled", run=result.get("run_id", "-")))
        return EXIT_INTERRUPTED if interrupted else EXIT_USER_ERROR
    print(t("cli.train_lost", log=job_dir(job) / LOG_FILE), file=sys.stderr)
    return EXIT_USER_ERROR


YES = frozenset({"y", "yes", "是", "是的", "好"})


def _print_comparison(check) -> None:
    """The candidate beside the alias' current holder, then what speaks against promoting."""
    from workbench.features.training.promotion import comparison_rows

    rows = [(t("promotion.row.what"), t("promotion.candidate"), t("promotion.current", alias=check.alias)),
            *comparison_rows(check)]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    print(t("cli.promote_comparing", model=check.name, version=check.candidate.version, alias=check.alias))
    for row in rows:
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for problem in check.warnings:
        print(f"  warning: {problem.where()}: {problem.message()}", file=sys.stderr, flush=True)


def cmd_models_promote(args: argparse.Namespace) -> int:
    from workbench.features.training.promotion import promotion_check
    from workbench.features.training.tracking import promote

    check = promotion_check(args.name, args.version, args.alias)
    _print_comparison(check)
    if check.already:
        print(t("cli.promote_already", model=args.name, version=check.candidate.version, alias=args.alias))
        return EXIT_OK
    if not args.yes:
        try:
            answer = input(t("cli.promote_confirm", model=args.name, version=check.candidate.version,
                             alias=args.alias))
        except EOFError:  # no one to ask (a script, a closed stdin)
            print()
            raise WorkbenchError([Problem("promote_needs_confirmation", field="--yes", params={
                "model": args.name, "version": check.candidate.version, "alias": args.alias})]) from None
        if answer.strip().lower() not in YES:
            print(t("cli.promote_declined", model=args.name, version=check.candidate.version, alias=args.alias))
            return EXIT_USER_ERROR
    promote(args.name, check.candidate.version, args.alias)
    print(t("cli.model_promoted", model=args.name, version=check.candidate.version, alias=args.alias))
    return EXIT_OK


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Add `train` and `models promote` to the workbench command line."""
    p = sub.add_parser("train", help="fine-tune a detector on a YOLO dataset; recorded and registered in MLflow")
    p.add_argument("data", metavar="DATA_YAML", help="the dataset's data.yaml")
    p.add_argument("--base", help="model-zoo id, models:/NAME@ALIAS, models:/NAME/VERSION, a .pt file or "
                                  "yolo11n.yaml (untrained); default yolo11n")
    p.add_argument("--name", help="registered model name (default workbench-detector)")
    p.add_argument("--epochs", type=arg_types.positive_int)
    p.add_argument("--imgsz", type=arg_types.positive_int, help="training image size, a multiple of 32")
    p.add_argument("--preset", choices=["none", "light", "strong"], help="augmentation preset (default light)")
    p.add_argument("--freeze", action=argparse.BooleanOptionalAction, default=None,
                   help="freeze the base model's backbone (default: yes; switched off, with a warning, when the "
                        "base was never trained)")
    p.add_argument("--batch", type=arg_types.positive_int)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"])
    p.add_argument("--patience", type=arg_types.non_negative_int,
                   help="stop after this many epochs without improvement (0: never)")
    p.set_defaults(func=cmd_train)

    models = sub.add_parser("models", help="registered models in MLflow")
    msub = models.add_subparsers(dest="models_command", required=True)
    p = msub.add_parser("promote", help="point an alias (default champion) at a model version, after showing it "
                                        "beside the current one and asking")
    p.add_argument("name")
    p.add_argument("version")
    p.add_argument("--alias", default="champion")
    p.add_argument("--yes", action="store_true",
                   help="promote without asking (the comparison and its warnings are still printed)")
    p.set_defaults(func=cmd_models_promote)
