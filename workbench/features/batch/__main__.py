"""`python -m workbench.features.batch PIPELINE SOURCES... [options]`: the `workbench batch` command on its own."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from workbench.core.errors import WorkbenchError
from workbench.features.batch.cli_batch import add_parsers


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbench.features.batch")
    sub = parser.add_subparsers(dest="command")
    add_parsers(sub)
    args = parser.parse_args(["batch", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.func(args)
    except WorkbenchError as exc:
        for p in exc.problems:
            print(f"  {p.severity}: {p.where()}: {p.message()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
