"""``iadb-graphics warp``: warp a point set onto an image density and write the exact pdf.

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
from .points import KINDS

PROG = "iadb-graphics warp"
def _default_method() -> str:
    from .. import warps

    # the package's own default warp when it names one; inverse-cdf is exact on every image
    return getattr(warps, "DEFAULT_WARP_METHOD", "inverse-cdf")


#: The warp used when ``--method`` is not given: exact, and defined for every image.
DEFAULT_METHOD = _default_method()
_DESCRIPTION = ("Warp points of the unit square onto an image's luminance (brighter = denser) and write the "
                "warped points and, with --pdf, the exact pdf at each of them. " + CONVENTIONS)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``warp`` options to ``parser``."""
    from ..warps import WARP_METHODS

    parser.add_argument("--target", required=True, metavar="IMAGE",
                        help="image whose luminance is the target density (8/16-bit, float TIFF, .hdr, .exr, .pfm)")
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--points", metavar="PTS", help="input points in [0, 1]^2 (.npy, .txt or .csv)")
    src.add_argument("--kind", choices=KINDS, help="generate the input points (as `iadb-graphics points`)")
    parser.add_argument("--n", type=int, default=None, help="number of points to generate (with --kind)")
    parser.add_argument("--method", choices=WARP_METHODS, default=DEFAULT_METHOD,
                        help=f"the warp (default: {DEFAULT_METHOD}, exact on every image)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="warped points (.npy, .txt or .csv)")
    parser.add_argument("--pdf", metavar="PDF", help="write the pdf of each warped point (.npy, .txt or .csv)")
    parser.add_argument("--plot", metavar="PNG", help="write a figure of input, warped points and pdf")
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    parser.add_argument("--seed", type=int, default=0, help="random seed >= 0 (point generation and fitting)")
    parser.add_argument("--resolution", type=int, default=128, help="mesh cells per axis (method mesh)")
    parser.add_argument("--allow-foldovers", action="store_true",
                        help="method mesh: keep a mesh that folds over (pdf summed over preimages) instead of failing")
    parser.add_argument("--invert", action="store_true", help="darker = denser")
    parser.add_argument("--gamma", type=float, default=1.0, help="density = luminance ** gamma")
    parser.add_argument("--keep-aspect", action="store_true",
                        help="keep the image's aspect ratio: the warped points fill [0, 1] x [0, h/w] (or "
                             "[0, w/h] x [0, 1]) and the pdf is per unit area of that box")
    parser.add_argument("--max-size", type=int, default=128,
                        help="downsample the image so its longer side is at most this many pixels (0: keep)")
    parser.add_argument("--iters", type=int, default=None, help="training iterations (method mlp)")
    parser.add_argument("--device", default=None,
                        help="torch device of method mlp, e.g. cuda (default: cpu)")
    return parser


def register(subparsers):
    """Add the ``warp`` sub-command to an ``argparse`` sub-parsers object."""
    parser = subparsers.add_parser("warp", help="warp points onto an image density with an exact pdf",
                                   description=_DESCRIPTION)
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def check_arguments(args) -> None:
    """Refuse bad option values, naming the flag (before any work)."""
    from ._resources import require_memory

    for flag, value, minimum in (("--resolution", args.resolution, 1), ("--max-size", args.max_size, 0),
                                 ("--seed", args.seed, 0), ("--iters", args.iters, 1)):
        at_least(flag, value, minimum)
    if not args.gamma > 0 or args.gamma == float("inf"):
        raise UsageError(f"--gamma must be a finite number > 0, got {args.gamma}")
    if args.iters is not None and args.method not in ("mlp", "grid", "mesh"):
        raise UsageError(f"--iters is only used by the fitted methods (mlp, grid, mesh), got --method {args.method}")
    if args.device is not None and args.method != "mlp":
        raise UsageError(f"--device is only used with --method mlp, got --method {args.method}")
    if args.allow_foldovers and args.method != "mesh":
        raise UsageError(f"--allow-foldovers is only used with --method mesh, got --method {args.method}")
    if args.points is not None and args.n is not None:
        raise UsageError("--n is only used with --kind; the points come from --points")
    if args.kind is not None:
        if args.n is None or args.n < 1:
            raise UsageError(f"--kind needs --n N with N >= 1, got {args.n}")
        # input, warped points, pdf and the warp's scratch: about 8 float64 columns per point
        require_memory(8.0 * 2 * 8 * args.n, f"--n {args.n}")


def _input_points(args, rng):
    from .. import io

    if args.points is not None:
        points = io.read_points(args.points, name="--points")
        if points.shape[1] != 2:
            raise UsageError(f"--points {args.points!r} holds {points.shape[1]}-D points; the warp needs 2-D ones")
        if len(points) == 0:
            raise UsageError(f"--points {args.points!r} holds no points")
        return points
    from ..pointsets import POINT_SETS

    return POINT_SETS[args.kind](args.n, rng=rng)


def _make_warp(args, density, rng):
    from ..warps import make_warp

    fit_kwargs = {} if args.iters is None else {"n_iters": args.iters}
    map_kwargs = {}
    if args.device is not None:
        from .._validation import check_device

        map_kwargs["device"] = check_device(args.device, "--device")
    try:
        return make_warp(args.method, density, resolution=args.resolution, rng=rng, fit_kwargs=fit_kwargs,
                         map_kwargs=map_kwargs, allow_foldovers=args.allow_foldovers)
    except (ValueError, RuntimeError) as exc:
        lines = str(exc).strip().splitlines() or [type(exc).__name__]
        raise UsageError(f"--method {args.method} failed on --target {args.target!r}: {lines[0]}"
                         + (f" (try the default --method {DEFAULT_METHOD})" if args.method != DEFAULT_METHOD else "")
                         ) from None


@command(PROG)
def run(args) -> int:
    """Execute the sub-command; return the exit status (0, 2 on bad input, 130 on Ctrl-C)."""
    t0 = time.perf_counter()
    outputs = Outputs(force=args.force)
    outputs.add("-o", args.output, POINT_EXTENSIONS)
    outputs.add("--pdf", args.pdf, POINT_EXTENSIONS)
    outputs.add("--plot", args.plot, (".png",))
    check_arguments(args)

    import numpy as np

    from .. import io
    from ..warps import warp
    from ._density import aspect_size, image_density

    rng = np.random.default_rng(args.seed)
    density, _ = image_density(args.target, "--target", invert=args.invert, gamma=args.gamma,
                               max_size=args.max_size)
    points = _input_points(args, rng)
    mapping = _make_warp(args, density, rng)
    warped, pdf = warp(points, mapping)
    box = np.array(aspect_size(density.height, density.width) if args.keep_aspect else (1.0, 1.0))
    warped, pdf = warped * box, pdf / (box[0] * box[1])  # the exact affine change of variables
    with outputs.writing():
        io.write_points(outputs.stage("-o"), warped)
        if args.pdf is not None:
            io.write_points(outputs.stage("--pdf"), pdf[:, None])
        if args.plot is not None:
            from ..densities import ImageDensity
            from ..plot.warps import plot_warp

            shown = density if not args.keep_aspect else ImageDensity(
                density.mass, domain=((0.0, box[0]), (0.0, box[1])))
            plot_warp(points * box, warped, pdf, shown, outputs.stage("--plot"), title=f"{args.method} warp")
    print(f"wrote {len(warped)} points warped by {args.method} onto {args.target} to {', '.join(outputs.paths)} "
          f"in {time.perf_counter() - t0:.1f} s{stretch_note(density, args.keep_aspect)}", file=sys.stderr)
    return 0
