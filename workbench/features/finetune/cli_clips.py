"""`workbench clips import|list|remove` and `workbench frames sample`; workbench/apps/cli.py wires `add_parsers()`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from workbench.core import arg_types
from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import t

EXIT_OK = 0


def cmd_clips_import(args: argparse.Namespace) -> int:
    from workbench.features.finetune.clips import ClipLibrary

    clip = ClipLibrary().import_clip(Path(args.path), name=args.name, camera=args.camera or "", site=args.site or "",
                                     tags=args.tag or (), copy=not args.reference)
    print(t("cli.clip_imported", id=clip.id, duration=clip.duration_s, fps=round(clip.fps, 2), width=clip.width,
            height=clip.height))
    return EXIT_OK


def cmd_clips_list(args: argparse.Namespace) -> int:
    from workbench.features.finetune.clips import ClipLibrary

    clips = ClipLibrary().list()
    if args.json:
        print(json.dumps([c.model_dump() for c in clips], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not clips:
        print(t("cli.clips_empty"))
    for c in clips:
        where = " ".join(x for x in (c.camera, c.site) if x)
        tags = ",".join(c.tags)
        print(f"{c.id:<40} {c.duration_s:>8.1f}s {c.width}x{c.height} {where:<20} {tags:<20} {c.name}")
    return EXIT_OK


def cmd_clips_remove(args: argparse.Namespace) -> int:
    from workbench.features.finetune.clips import ClipLibrary

    ClipLibrary().remove(args.clip_id)
    print(t("cli.clip_removed", id=args.clip_id))
    return EXIT_OK


def cmd_frames_sample(args: argparse.Namespace) -> int:
    from workbench.features.finetune import sampling
    from workbench.features.finetune.clips import ClipLibrary

    lib = ClipLibrary()
    clip = lib.get(args.clip_id)
    if args.method == "uniform":
        refs = sampling.uniform(clip, every_s=args.every, library=lib)
    elif args.method == "scene":
        refs = sampling.scene_change(clip, threshold=args.threshold, library=lib)
    else:
        if not args.model:
            raise WorkbenchError([Problem("frames_model_required", field="model")])
        detect = sampling.zoo_detector(args.model, conf=args.conf)
        refs = sampling.model_driven(clip, detect, max_frames=args.max or 20, library=lib)
    if args.dedupe >= 0:
        refs = sampling.dedupe(refs, max_distance=args.dedupe, library=lib)
    if args.max:
        refs = sampling.limit(refs, args.max)
    paths = sampling.extract(refs, library=lib)
    if args.json:
        print(json.dumps([{**r.to_dict(), "path": str(p)} for r, p in zip(refs, paths, strict=True)],
                         ensure_ascii=False, indent=2))
    else:
        folder = paths[0].parent if paths else sampling.frames_dir() / clip.id
        print(t("cli.frames_sampled", count=len(paths), id=clip.id, method=args.method, folder=str(folder)))
    return EXIT_OK


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Add `clips` and `frames` to the `workbench` command's subparsers."""
    clips = sub.add_parser("clips", help="clip library: import videos, list them")
    csub = clips.add_subparsers(dest="clips_command", required=True)
    p = csub.add_parser("import", help="add a video file to the clip library (copied unless --reference)")
    p.add_argument("path")
    p.add_argument("--name", help="display name (default: the file name)")
    p.add_argument("--camera", help="camera id or name")
    p.add_argument("--site", help="site (e.g. construction site, crossing)")
    p.add_argument("--tag", nargs="+", action="extend", metavar="T", help="one or more tags")
    p.add_argument("--reference", action="store_true", help="keep the video where it is instead of copying it")
    p.set_defaults(func=cmd_clips_import)
    p = csub.add_parser("list", help="every clip, newest first")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_clips_list)
    p = csub.add_parser("remove", help="remove a clip from the library (a referenced original stays)")
    p.add_argument("clip_id")
    p.set_defaults(func=cmd_clips_remove)

    frames = sub.add_parser("frames", help="sample frames of a clip for labeling")
    fsub = frames.add_subparsers(dest="frames_command", required=True)
    p = fsub.add_parser("sample", help="choose frames of a clip and write them as JPEGs under <home>/frames/<clip>")
    p.add_argument("clip_id")
    p.add_argument("--method", choices=("uniform", "scene", "model"), default="uniform")
    p.add_argument("--every", type=arg_types.positive_float, default=1.0, help="uniform: seconds between frames")
    p.add_argument("--threshold", type=arg_types.fraction, default=0.25,
                   help="scene: share of the picture (0-1) that must change to keep a frame")
    p.add_argument("--model", help="model: model-zoo id of the current detector")
    p.add_argument("--conf", type=arg_types.fraction, default=0.05, help="model: lowest detector confidence considered")
    p.add_argument("--max", type=arg_types.positive_int, help="at most this many frames")
    p.add_argument("--dedupe", type=arg_types.number_in(-1, 256, whole=True), default=2,
                   help="drop frames within this many hash bits (of 256) of a kept one; -1 keeps all")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_frames_sample)
