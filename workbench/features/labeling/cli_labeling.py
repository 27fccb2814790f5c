"""CLI: `workbench labelstudio start|push|pull` and `workbench dataset build|pseudo`. The lead wires `add_parsers(sub)`.

Tokens are never taken on the command line: LABEL_STUDIO_API_KEY, or the token file of `workbench labelstudio start`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from workbench.core import arg_types
from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import t

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def _print_warnings(problems: list[Problem]) -> None:
    for p in problems:
        print(f"  {p.severity}: {p.where()}: {p.message()}", file=sys.stderr)


def cmd_start(args: argparse.Namespace) -> int:
    """Run Label Studio in the foreground; Ctrl-C, SIGINT or SIGTERM stop it (it runs in its own process group)."""
    from workbench.features.labeling import server
    from workbench.jobs.process import interrupt_on_sigterm

    interrupt_on_sigterm(signal.SIGINT, signal.SIGTERM)  # SIGINT too: started in the background, it is ignored
    proc, _ = server.start(port=args.port, venv=Path(args.venv) if args.venv else None,
                           document_root=Path(args.document_root) if args.document_root else None)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        server.stop(proc)
        return 130
    finally:
        server.forget_local_server()


def _index(path: Path) -> int | None:
    """The frame index a sampled frame's file name carries (`<index:06d>.jpg`, as `workbench frames sample` writes)."""
    return int(path.stem) if path.stem.isdigit() else None


def _frames(paths: list[str], clip: str | None):
    from workbench.features.labeling.projects import FrameRef

    frames = []
    for p in map(Path, paths):
        if p.is_dir():  # a folder of frames is one clip, named after the folder
            files = sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
            frames += [FrameRef(f, clip or p.name, _index(f)) for f in files]
        elif p.is_file():
            frames.append(FrameRef(p, clip or p.parent.name, _index(p)))
        else:
            raise WorkbenchError([Problem("labeling_path_missing", field="paths", params={"path": str(p)})])
    return frames


def _teacher(model: str, args: argparse.Namespace, option: str):
    """The teacher `model` with the command's --conf/--class-conf, and its --map (None: the classes of the same
    name)."""
    from workbench.features.labeling.class_map import parse_pairs
    from workbench.features.labeling.teacher import open_teacher

    class_conf = {k: float(v) for k, v in parse_pairs(args.class_conf, "--class-conf", number=True).items()}
    mapping = parse_pairs(args.map, "--map") if args.map else None
    return open_teacher(model, conf=args.conf, class_conf=class_conf, iou=args.iou, field_name=option), mapping


def cmd_push(args: argparse.Namespace) -> int:
    from workbench.features.labeling.class_map import ClassMap
    from workbench.features.labeling.client import connect
    from workbench.features.labeling.config import check_classes
    from workbench.features.labeling.projects import ClipRef, ensure_project, push_clips, push_frames

    classes = check_classes([c.strip() for c in args.classes.split(",")])
    if (args.map or args.class_conf) and not args.model:
        raise WorkbenchError([Problem("labeling_map_needs_model", field="--map")])
    teacher, mapping, class_map = None, None, None
    if args.model and args.kind == "image":  # the teacher and its mapping are checked before the server is touched
        teacher, mapping = _teacher(args.model, args, "--model")
        class_map = ClassMap.build(mapping, teacher.names, classes, teacher.model)
    client = connect(args.url)
    project = ensure_project(client, args.project, classes, kind=args.kind, fps=args.fps)
    root = Path(args.document_root) if args.document_root else None
    if args.kind == "video":
        clips = [ClipRef(Path(p), args.clip or Path(p).stem) for p in args.paths]
        result = push_clips(client, project, clips, document_root=root)
    else:
        predictor, version = (teacher.detect, teacher.version) if teacher else (None, "")
        result = push_frames(client, project, _frames(args.paths, args.clip), predictor, version, document_root=root,
                             mapping=class_map)
        _print_warnings(result.model_warnings(version, project.classes))
    print(t("labeling.pushed", project=project.title, id=project.id, created=len(result.created),
            skipped=len(result.skipped), predictions=result.predictions, boxes=result.boxes))
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    from workbench.features.labeling.client import connect, resolve_connection
    from workbench.features.labeling.projects import get_project
    from workbench.features.labeling.pull import default_store, pull

    client = connect(args.url)
    project = get_project(client, args.project)
    result = pull(client, project, default_store(resolve_connection(args.url).url, project.id))
    print(t("labeling.pulled", project=project.title, new=len(result.new), changed=len(result.changed),
            removed=len(result.removed), store=str(result.store)))
    return 0


def _split_note(info) -> str:
    """How the validation clips were chosen and what share of the images they hold."""
    total = info.images["train"] + info.images["val"]
    share = round(100 * info.images["val"] / total) if total else 0
    if info.val_fraction_asked is None:
        return t("labeling.split_named", share=share)
    return t("labeling.split_asked", share=share, asked=round(100 * info.val_fraction_asked))


def cmd_dataset_build(args: argparse.Namespace) -> int:
    from workbench.features.labeling.client import ENV_URL
    from workbench.features.labeling.dataset import build_dataset
    from workbench.features.labeling.naming import find_store
    from workbench.features.labeling.pull import server_folder

    stores = [Path(s) for s in args.store]
    if args.project:  # pulled projects by title or id; of the server named by --url / LABEL_STUDIO_URL, else any
        url = args.url or os.environ.get(ENV_URL, "").strip()
        server = server_folder(url) if url else None
        stores += [find_store(p, server) for p in args.project]
    if not stores and not args.pseudo:
        raise WorkbenchError([Problem("dataset_no_source", field="project")])
    info = build_dataset(stores, val_fraction=args.val_fraction, val_clips=args.val_clip or None, seed=args.seed,
                         frame_step=args.frame_step,
                         document_root=Path(args.document_root) if args.document_root else None,
                         pseudo_parts=args.pseudo)
    _print_warnings(info.warnings)
    pseudo = {k: v for k, v in info.pseudo.items() if k != "names"}
    if args.json:
        print(json.dumps({"version": info.version, "path": str(info.path), "classes": info.classes,
                          "train_clips": info.train_clips, "val_clips": info.val_clips, "images": info.images,
                          "boxes": info.boxes, "boxes_per_split": info.boxes_per_split,
                          "val_fraction_asked": info.val_fraction_asked, "pseudo": pseudo},
                         ensure_ascii=False, indent=1))
        return 0
    print(t("labeling.dataset_built", version=info.version, path=str(info.path), train=info.images["train"],
            val=info.images["val"], val_clips=", ".join(info.val_clips) or "-", how=_split_note(info)))
    if pseudo:
        print(t("labeling.dataset_pseudo", images=pseudo["images"]["train"] + pseudo["images"]["val"],
                parts=", ".join(p["version"] for p in pseudo.get("parts", [])),
                replaced=pseudo.get("replaced_by_human", 0), left_out=pseudo.get("left_out_val", 0)))
    return 0


def _pseudo_classes(args: argparse.Namespace) -> list[str]:
    """--classes, or the class list of a pulled project (--project), so the part's ids agree with its labels."""
    from workbench.features.labeling.client import ENV_URL
    from workbench.features.labeling.naming import find_store
    from workbench.features.labeling.pull import load_state, server_folder

    if args.classes:
        return [c.strip() for c in args.classes.split(",")]
    url = args.url or os.environ.get(ENV_URL, "").strip()
    return list(load_state(find_store(args.project, server_folder(url) if url else None))["project"]["classes"])


def cmd_dataset_pseudo(args: argparse.Namespace) -> int:
    from workbench.features.labeling.pseudo import PseudoSampling, pseudo_label

    classes = _pseudo_classes(args)
    teacher, mapping = _teacher(args.teacher, args, "--teacher")
    options = PseudoSampling(method=args.method, every_s=args.every, threshold=args.threshold, dedupe=args.dedupe,
                             max_frames=args.max or 0, keep_empty=args.keep_empty)
    info = pseudo_label(args.clips, teacher, mapping, classes, options)
    _print_warnings(info.warnings)
    frames = info.pseudo["frames"]
    if args.json:
        print(json.dumps({"version": info.version, "path": str(info.path), "classes": info.classes,
                          "images": info.images["train"], "boxes": info.boxes,
                          "pseudo": {k: v for k, v in info.pseudo.items() if k not in ("frames", "names")}},
                         ensure_ascii=False, indent=1))
        return 0
    print(t("labeling.pseudo_done", version=info.version, path=str(info.path), images=info.images["train"],
            clips=len(info.pseudo["clips"]), boxes=sum(info.boxes.values()), teacher=teacher.version,
            empty=sum(1 for f in frames if not f["kept"])))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Add `labelstudio` and `dataset` to the workbench command's subparsers."""
    ls = sub.add_parser("labelstudio", help="label frames in Label Studio: start a local server, push, pull")
    lsub = ls.add_subparsers(dest="labelstudio_command", required=True)

    p = lsub.add_parser("start", help="run a local Label Studio on 127.0.0.1 (installs it into its own venv once)")
    p.add_argument("--port", type=arg_types.port, default=8080)
    p.add_argument("--venv", help="Label Studio's venv (default: <home>/labelstudio-venv)")
    p.add_argument("--document-root", help="folder whose files Label Studio may serve (default: the workbench home)")
    p.set_defaults(func=cmd_start)

    p = lsub.add_parser("push", help="create/update a project for a class list and add frames (or clips) to label")
    p.add_argument("paths", nargs="+", help="frame files or folders of frames (one folder = one clip); videos")
    p.add_argument("--project", required=True, help="project title or id (a new title creates the project)")
    p.add_argument("--classes", required=True, help="comma-separated class list; YOLO id = position")
    p.add_argument("--kind", choices=("image", "video"), default="image")
    p.add_argument("--clip", help="clip id of the frames (default: their folder name; video: file name)")
    p.add_argument("--model", help="model whose boxes become pre-annotations: a model-zoo id (also the zoo's ONNX "
                                   "models, e.g. nanodet-m-416), models:/NAME@ALIAS, models:/NAME/VERSION or a "
                                   ".pt/.onnx file (as for train --base)")
    _add_teacher_options(p, 0.25)
    p.add_argument("--fps", type=arg_types.positive_float, default=25.0, help="frame rate of video projects")
    p.add_argument("--url", help="Label Studio URL (default: LABEL_STUDIO_URL, else the local server)")
    p.add_argument("--document-root", help="the server's LOCAL_FILES_DOCUMENT_ROOT (default: the workbench home)")
    p.set_defaults(func=cmd_push)

    p = lsub.add_parser("pull", help="bring new and changed annotations of a project into the workbench")
    p.add_argument("--project", required=True, help="project title or id")
    p.add_argument("--url")
    p.set_defaults(func=cmd_pull)

    ds = sub.add_parser("dataset", help="YOLO datasets from pulled annotations and pseudo-labelled clips")
    dsub = ds.add_subparsers(dest="dataset_command", required=True)
    p = dsub.add_parser("build", help="write a YOLO dataset split by clip; prints its version (content hash)")
    p.add_argument("--project", action="append", default=[],
                   help="a pulled project's title or id, as for pull (repeatable)")
    p.add_argument("--store", action="append", default=[], help="a pulled project's store folder (repeatable)")
    p.add_argument("--pseudo", action="append", default=[], metavar="PART",
                   help="a pseudo-labelled part (`dataset pseudo`): its version or folder (repeatable); training "
                        "only, and a frame that also has human labels keeps the human's")
    p.add_argument("--url", help="server the projects were pulled from, when titles repeat across servers "
                                 "(default: LABEL_STUDIO_URL, else any)")
    p.add_argument("--val-fraction", type=arg_types.fraction, default=0.2,
                   help="share of the images to hold out for validation, as whole clips: the clips nearest to it "
                        "(default 0.2; 0 holds out none)")
    p.add_argument("--val-clip", action="append", help="hold out this clip for validation (repeatable)")
    p.add_argument("--seed", type=arg_types.non_negative_int, default=0,
                   help="picks among equally near validation splits")
    p.add_argument("--frame-step", type=arg_types.positive_int, default=1, help="video projects: keep every Nth frame")
    p.add_argument("--document-root", help="where the labeled files are (default: the workbench home)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_dataset_build)
    _add_pseudo_parser(dsub)


def _add_teacher_options(p: argparse.ArgumentParser, conf: float) -> None:
    p.add_argument("--map", action="append", metavar="TEACHER=CLASS,...",
                   help="the model's classes -> the project's, e.g. truck=muck_truck,car=car,bus=ignore; only the "
                        "classes named count (default: the classes of the same name)")
    p.add_argument("--conf", type=arg_types.fraction, default=conf, help=f"lowest confidence kept (default {conf})")
    p.add_argument("--class-conf", action="append", default=[], metavar="TEACHER=CONF,...",
                   help="a class's own lowest confidence, by the model's class name, e.g. truck=0.5")
    p.add_argument("--iou", type=arg_types.fraction, default=0.5,
                   help="overlap above which two boxes are one object, whatever their classes (default 0.5)")


def _add_pseudo_parser(dsub: argparse._SubParsersAction) -> None:
    p = dsub.add_parser("pseudo", help="label sampled frames of library clips with a teacher model: a pseudo-labelled "
                                       "part for `dataset build --pseudo`")
    p.add_argument("clips", nargs="+", metavar="CLIP_ID", help="clips of the library (`workbench clips list`)")
    p.add_argument("--teacher", required=True, help="the labelling model, as for labelstudio push --model (e.g. the "
                                                    "bundled nanodet-m-416)")
    classes = p.add_mutually_exclusive_group(required=True)
    classes.add_argument("--classes", help="the project's comma-separated class list; YOLO id = position")
    classes.add_argument("--project", help="take the class list of this pulled project (title or id)")
    p.add_argument("--url", help="server the project was pulled from (default: LABEL_STUDIO_URL, else any)")
    _add_teacher_options(p, 0.4)
    p.add_argument("--method", choices=("uniform", "scene"), default="uniform", help="as for frames sample")
    p.add_argument("--every", type=arg_types.positive_float, default=1.0, help="uniform: seconds between frames")
    p.add_argument("--threshold", type=arg_types.fraction, default=0.25,
                   help="scene: share of the picture (0-1) that must change to keep a frame")
    p.add_argument("--dedupe", type=arg_types.number_in(-1, 256, whole=True), default=2,
                   help="drop frames within this many hash bits (of 256) of a kept one; -1 keeps all")
    p.add_argument("--max", type=arg_types.positive_int, help="at most this many frames per clip")
    p.add_argument("--keep-empty", action="store_true",
                   help="keep frames where the teacher found none of the classes (default: left out)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_dataset_pseudo)
