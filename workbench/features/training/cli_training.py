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


def _print_warnings(result: dict) -> None:
    from workbench.features.training.jobs import safe_message

    for w in result.get("warnings", []):
        problem = Problem(w["code"], field=w.get("field"), params=w.get("params") or {}, severity="warning")
        print(f"  warning: {problem.where()}: {safe_message(problem, None)}", file=sys.stderr)


def cmd_train(args: argparse.Namespace) -> int:
    from workbench.features.training.dataset_check import check_dataset
    from workbench.features.training.jobs import LOG_FILE, cancel_training, job_dir, start_training, training_status

    config = _config(args)
    check_dataset(args.data)  # bad input fails here, before a worker starts
    job = start_training(config, args.data)
    print(t("cli.train_started", job=job, folder=job_dir(job)), flush=True)
    shown, interrupted = 0, False
    while True:
        try:
            status = training_status(job)
            shown = _print_epochs(status.progress, shown)
            if status.finished:
                break
            time.sleep(POLL_S)
        except KeyboardInterrupt:
            interrupted = True
            cancel_training(job)
    if status.problems:
        raise WorkbenchError(status.problems)
    result = status.result or {}
    _print_warnings(result)
    if status.state == "done":
        print(t("cli.train_done", model=result["model_name"], version=result["version"], alias=result["alias"],
                run=result["run_id"], uri=result["tracking_uri"]))
        return EXIT_OK
    if status.state == "cancelled":
        print(t("cli.train_cancelled", run=result.get("run_id", "-")))
        return EXIT_INTERRUPTED if interrupted else EXIT_USER_ERROR
    print(t("cli.train_lost", log=job_dir(job) / LOG_FILE), file=sys.stderr)
    return EXIT_USER_ERROR


def cmd_models_promote(args: argparse.Namespace) -> int:
    from workbench.features.training.tracking import promote

    promote(args.name, args.version, args.alias)
    print(t("cli.model_promoted", model=args.name, version=args.version, alias=args.alias))
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
                   help="freeze the base model's backbone (default: yes)")
    p.add_argument("--batch", type=arg_types.positive_int)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"])
    p.add_argument("--patience", type=arg_types.non_negative_int,
                   help="stop after this many epochs without improvement (0: never)")
    p.set_defaults(func=cmd_train)

    models = sub.add_parser("models", help="registered models in MLflow")
    msub = models.add_subparsers(dest="models_command", required=True)
    p = msub.add_parser("promote", help="point an alias (default champion) at a model version")
    p.add_argument("name")
    p.add_argument("version")
    p.add_argument("--alias", default="champion")
    p.set_defaults(func=cmd_models_promote)
