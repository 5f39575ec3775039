"""``iadb-graphics warp``: warp a point set onto an image density and write the exact pdf.

Wire into the main parser with ``register(subparsers)``; the sub-command's handler is
``args.func(args) -> int`` (0 on success, 2 on bad input with one ``error:`` line on stderr).
"""
from __future__ import annotations

import argparse
import sys

from .points import KINDS

PROG = "iadb-graphics warp"


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``warp`` options to ``parser``."""
    from ..warps import DEFAULT_WARP_METHOD, WARP_METHODS

    parser.add_argument("--target", required=True, metavar="IMAGE",
                        help="image whose luminance is the target density (brighter = denser)")
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--points", metavar="PTS", help="input points in [0, 1]^2 (.npy, .txt or .csv)")
    src.add_argument("--kind", choices=KINDS, help="generate the input points (as `iadb-graphics points`)")
    parser.add_argument("--n", type=int, default=None, help="number of points to generate (with --kind)")
    parser.add_argument("--method", choices=WARP_METHODS, default=DEFAULT_WARP_METHOD, help=f"the warp (default: {DEFAULT_WARP_METHOD})")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="warped points (.npy, .txt or .csv)")
    parser.add_argument("--pdf", metavar="PDF", help="write the pdf of each warped point (.npy, .txt or .csv)")
    parser.add_argument("--plot", metavar="PNG", help="write a figure of input, warped points and pdf")
    parser.add_argument("--seed", type=int, default=0, help="random seed (point generation and fitting)")
    parser.add_argument("--resolution", type=int, default=128, help="mesh cells per axis (method mesh)")
    parser.add_argument("--allow-foldovers", action="store_true",
                        help="method mesh: keep a mesh that folds over (pdf summed over preimages) instead of failing")
    parser.add_argument("--invert", action="store_true", help="darker = denser")
    parser.add_argument("--gamma", type=float, default=1.0, help="density = luminance ** gamma")
    parser.add_argument("--max-size", type=int, default=128,
                        help="downsample the image so its longer side is at most this many pixels (0: keep)")
    parser.add_argument("--iters", type=int, default=None, help="training iterations (method mlp)")
    parser.add_argument("--device", default=None,
                        help="torch device of method mlp, e.g. cuda (default: cpu)")
    return parser


def register(subparsers):
    """Add the ``warp`` sub-command to an ``argparse`` sub-parsers object."""
    parser = subparsers.add_parser("warp", help="warp points onto an image density with an exact pdf",
                                   description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def _input_points(args, rng):
    from .. import io

    if args.points is not None:
        if args.n is not None:
            raise ValueError("--n is only used with --kind; the points come from --points")
        return io.read_points(args.points, name="--points")
    if args.n is None or args.n < 1:
        raise ValueError(f"--kind needs --n N with N >= 1, got {args.n}")
    from ..pointsets import POINT_SETS

    return POINT_SETS[args.kind](args.n, rng=rng)


def run(args) -> int:
    """Execute the sub-command; return the exit status."""
    try:
        import numpy as np

        from .. import io
        from ..densities import ImageDensity
        from ..warps import make_warp, warp

        if args.resolution < 1:
            raise ValueError(f"--resolution must be >= 1, got {args.resolution}")
        if args.max_size < 0:
            raise ValueError(f"--max-size must be >= 0, got {args.max_size}")
        for flag, path in (("-o", args.output), ("--pdf", args.pdf)):
            if path is not None and not path.lower().endswith((".npy", ".txt", ".csv")):
                raise ValueError(f"{flag} must end in .npy, .txt or .csv, got {path!r}")
        if args.plot is not None and not args.plot.lower().endswith(".png"):
            raise ValueError(f"--plot must end in .png, got {args.plot!r}")
        rng = np.random.default_rng(args.seed)
        image = io.read_image(args.target, name="--target")
        density = ImageDensity(io.box_downsample(image, args.max_size), invert=args.invert, gamma=args.gamma)
        points = _input_points(args, rng)
        if points.shape[1] != 2:
            raise ValueError(f"the input points must be 2D, got shape {points.shape}")
        fit_kwargs = {} if args.iters is None else {"n_iters": args.iters}
        map_kwargs = {}
        if args.device is not None:
            if args.method != "mlp":
                raise ValueError(f"--device is only used with --method mlp, got --method {args.method}")
            from .._validation import check_device

            map_kwargs["device"] = check_device(args.device, "--device")
        mapping = make_warp(args.method, density, resolution=args.resolution, rng=rng, fit_kwargs=fit_kwargs,
                            map_kwargs=map_kwargs, allow_foldovers=args.allow_foldovers)
        warped, pdf = warp(points, mapping)
        io.write_points(args.output, warped)
        if args.pdf is not None:
            io.write_points(args.pdf, pdf[:, None])
        if args.plot is not None:
            from ..plot.warps import plot_warp

            plot_warp(points, warped, pdf, density, args.plot, title=f"{args.method} warp")
    except (ValueError, TypeError, OSError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    return 0
