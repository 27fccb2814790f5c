"""`python -m workbench.features.synth SCENARIO OUT_DIR [--seed N]`: write a clip and its truth file."""

from __future__ import annotations

import argparse

from workbench.core import arg_types
from workbench.features.synth import generate
from workbench.features.synth.generate import scene_names


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m workbench.features.synth", description=__doc__)
    parser.add_argument("scenario", choices=sorted(scene_names()))
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=arg_types.non_negative_int, default=0)
    args = parser.parse_args(argv)
    clip = generate(args.scenario, args.out_dir, seed=args.seed)
    print(clip.video)
    print(clip.truth)


if __name__ == "__main__":
    main()
