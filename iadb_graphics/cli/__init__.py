"""The ``iadb-graphics`` command line: one sub-command per module of this package.

Each command module exposes ``register(subparsers)``, which adds its parser and sets
``func(args) -> int`` as the handler. Every handler ends a failure with one ``error:`` line on
stderr and exit code 2, and Ctrl-C with exit code 130; it writes its outputs all or nothing.
"""
from __future__ import annotations

import argparse
import os
import sys

from .. import __version__

__all__ = ["main", "build_parser"]


def _command_modules():
    from . import color, demo, points, warp

    return [demo, points, warp, color]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iadb-graphics",
        description="Deterministic maps between densities (iterative alpha-(de)blending) for graphics sampling.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        module.register(sub)
    return parser


def main(argv=None) -> int:
    # OpenMP threads (Numba's, torch's) spin-wait by default, which stalls a loaded laptop;
    # set before any kernel starts its thread pool.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:  # a handler without its own (batch mode with Dask)
        print(f"iadb-graphics {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
