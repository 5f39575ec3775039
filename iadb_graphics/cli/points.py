"""``iadb-graphics points``: generate a point set (white, stratified, QMC, Poisson disk, blue noise).

Wire into the main parser with ``register(subparsers)``; the sub-command's handler is
``args.func(args) -> int`` (0 on success, 2 on bad input with one ``error:`` line on stderr,
130 after Ctrl-C). Outputs are checked before any work and written all-or-nothing.
"""
from __future__ import annotations

import argparse
import sys
import time

from ._command import UsageError, at_least, command
from ._density import CONVENTIONS, stretch_note
from ._outputs import POINT_EXTENSIONS, Outputs

PROG = "iadb-graphics points"
KINDS = ("white", "jittered", "sobol", "halton", "poisson", "bluenoise", "learned")
_DESCRIPTION = ("Generate a point set in the unit square (or cube, --d > 2) and write it as .npy, .txt or .csv. "
                "With --density the blue noise follows an image's luminance. " + CONVENTIONS)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``points`` options to ``parser``."""
    parser.add_argument("--kind", choices=KINDS, default="bluenoise", help="point set (default: bluenoise)")
    parser.add_argument("--n", type=int, required=True, help="number of points")
    parser.add_argument("--d", type=int, default=2, help="dimension (default 2; poisson, learned and --density: 2 only)")
    parser.add_argument("--density", metavar="IMAGE",
                        help="adapt the blue noise to this image's luminance (bluenoise only; 8/16-bit, "
                             "float TIFF, .hdr, .exr, .pfm)")
    parser.add_argument("--invert", action="store_true", help="with --density: darker = denser")
    parser.add_argument("--keep-aspect", action="store_true",
                        help="with --density: keep the image's aspect ratio (longer side 1) instead of "
                             "stretching it onto the unit square")
    parser.add_argument("--iters", type=int, default=1024, help="bluenoise iterations (default 1024)")
    parser.add_argument("--dirs", type=int, default=64, help="bluenoise directions per iteration (default 64)")
    parser.add_argument("--steps", type=int, default=None,
                        help="learned: IADB steps (default: the shipped model's 12, the fewest whose every step "
                             "can be inverted, with or without the sliced-OT refinement)")
    parser.add_argument("--sot-iters", type=int, default=None, metavar="K",
                        help="learned: refine the learned set by K sliced-OT iterations, a step that is not "
                             "learned (default 40; 0: the learned map alone, the one that can be inverted)")
    parser.add_argument("--low-freq", type=float, default=0.0, metavar="K",
                        help="learned: replace the flow's modes of frequency |k| <= K by a rule that is not "
                             "learned (takes them straight to zero; e.g. 4); default 0: the learned map alone")
    parser.add_argument("--seed", type=int, default=0, help="random seed >= 0 (default 0)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="points file (.npy, .txt or .csv)")
    parser.add_argument("--plot", metavar="PNG", help="write a figure: points, periodogram, radial power")
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    return parser


def register(subparsers):
    """Add the ``points`` sub-command to an ``argparse`` sub-parsers object."""
    parser = subparsers.add_parser("points", help="generate a point set (white, jittered, sobol, halton, "
                                   "poisson, bluenoise, learned)", description=_DESCRIPTION)
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def memory_estimate(kind: str, n: int, d: int, iters: int, dirs: int, density: bool) -> float:
    """Bytes a ``points`` run needs at its peak, roughly (float64 points, the blue-noise tables)."""
    need = 8.0 * n * d * 4  # the points, the starting set and sorting scratch
    if kind == "poisson":
        need += 64.0 * n  # background grid and active list
    if kind == "bluenoise":
        if density or d != 2:
            need += 8.0 * n * 256 + 16.0 * iters * 256  # quantile table, direction picks
        else:
            need += 32.0 * iters * dirs  # random directions
        need += 16.0 * n  # per-direction point orders
    return need


def check_arguments(args) -> None:
    """Refuse bad option values, naming the flag (before any work)."""
    from ._resources import require_memory

    for flag, value, minimum in (("--n", args.n, 0), ("--d", args.d, 1), ("--seed", args.seed, 0),
                                 ("--iters", args.iters, 0), ("--dirs", args.dirs, 1)):
        at_least(flag, value, minimum)
    if args.plot is not None and args.d != 2:
        raise UsageError(f"--plot needs 2D points, got --d {args.d}")
    if args.density is not None and args.kind != "bluenoise":
        raise UsageError(f"--density works with --kind bluenoise only, got --kind {args.kind}")
    if args.density is not None and args.d != 2:
        raise UsageError(f"--density needs --d 2, got --d {args.d}")
    if args.invert and args.density is None:
        raise UsageError("--invert needs --density")
    if args.keep_aspect and args.density is None:
        raise UsageError("--keep-aspect needs --density")
    if args.kind in ("poisson", "learned") and args.d != 2:
        raise UsageError(f"--kind {args.kind} supports --d 2 only, got --d {args.d}")
    if args.steps is not None:
        if args.kind != "learned":
            raise UsageError(f"--steps works with --kind learned only, got --kind {args.kind}")
        at_least("--steps", args.steps, 1)
    if args.sot_iters is not None:
        if args.kind != "learned":
            raise UsageError(f"--sot-iters works with --kind learned only, got --kind {args.kind}")
        at_least("--sot-iters", args.sot_iters, 0)
    if args.low_freq != 0.0:
        if args.kind != "learned":
            raise UsageError(f"--low-freq works with --kind learned only, got --kind {args.kind}")
        if not (args.low_freq > 0 and args.low_freq < float("inf")):
            raise UsageError(f"--low-freq must be a finite number >= 0, got {args.low_freq}")
    require_memory(memory_estimate(args.kind, args.n, args.d, args.iters, args.dirs, args.density is not None),
                   f"--n {args.n}")


def _progress_option(func) -> dict:
    """``{"progress": None}`` (a bar on a terminal) for a generator that can report progress; else a
    one-line notice on a terminal, so that a long run does not look stuck."""
    import inspect

    if "progress" in inspect.signature(func).parameters:
        return {"progress": None}
    if sys.stderr.isatty():
        print(f"{PROG}: computing ...", file=sys.stderr)
    return {}


@command(PROG)
def run(args) -> int:
    """Execute the sub-command; return the exit status (0, 2 on bad input, 130 on Ctrl-C)."""
    t0 = time.perf_counter()
    outputs = Outputs(force=args.force)
    outputs.add("-o", args.output, POINT_EXTENSIONS)
    outputs.add("--plot", args.plot, (".png",))
    check_arguments(args)

    from .. import io, pointsets

    bounds = None
    if args.kind == "bluenoise":
        density = None
        if args.density is not None:
            from ._density import image_density

            density, size = image_density(args.density, "--density", invert=args.invert,
                                          keep_aspect=args.keep_aspect)
            bounds = density.domain
        pts = pointsets.sot_blue_noise(args.n, d=args.d, n_iters=args.iters, n_dirs=args.dirs,
                                       density=density, rng=args.seed, **_progress_option(pointsets.sot_blue_noise))
    elif args.kind == "poisson":
        pts = pointsets.poisson_disk(args.n, rng=args.seed)
    elif args.kind == "learned":
        refine = {} if args.sot_iters is None else {"sot_iters": args.sot_iters}
        pts = pointsets.learned_blue_noise(args.n, rng=args.seed, steps=args.steps, low_freq=args.low_freq, **refine)
    else:
        pts = pointsets.POINT_SETS[args.kind](args.n, d=args.d, rng=args.seed)
    with outputs.writing():
        io.write_points(outputs.stage("-o"), pts)
        if args.plot is not None:
            from ..plot.points import plot_points

            plot_points(pts, outputs.stage("--plot"), title=args.kind + (" (adapted)" if args.density else ""),
                        bounds=bounds)
    note = stretch_note(density, args.keep_aspect) if args.density is not None else ""
    print(f"wrote {len(pts)} {args.kind} points (d={pts.shape[1]}) to {', '.join(outputs.paths)} "
          f"in {time.perf_counter() - t0:.1f} s{note}", file=sys.stderr)
    return 0
