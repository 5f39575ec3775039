"""``iadb-graphics points``: generate a point set (white, stratified, QMC, Poisson disk, blue noise).

Wire into the main parser with ``register(subparsers)``; the sub-command's handler is
``args.func(args) -> int`` (0 on success, 2 on bad input with one ``error:`` line on stderr).
"""
from __future__ import annotations

import argparse
import sys

PROG = "iadb-graphics points"
KINDS = ("white", "jittered", "sobol", "halton", "poisson", "bluenoise")


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``points`` options to ``parser``."""
    parser.add_argument("--kind", choices=KINDS, default="bluenoise", help="point set (default: bluenoise)")
    parser.add_argument("--n", type=int, required=True, help="number of points")
    parser.add_argument("--d", type=int, default=2, help="dimension (default 2; poisson and --density: 2 only)")
    parser.add_argument("--density", metavar="IMAGE",
                        help="adapt the blue noise to this image's luminance (bluenoise only)")
    parser.add_argument("--invert", action="store_true", help="with --density: darker = denser")
    parser.add_argument("--iters", type=int, default=1024, help="bluenoise iterations (default 1024)")
    parser.add_argument("--dirs", type=int, default=64, help="bluenoise directions per iteration (default 64)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="points file (.npy, .txt or .csv)")
    parser.add_argument("--plot", metavar="PNG", help="write a figure: points, periodogram, radial power")
    return parser


def register(subparsers):
    """Add the ``points`` sub-command to an ``argparse`` sub-parsers object."""
    parser = subparsers.add_parser("points", help="generate a point set (white, jittered, sobol, halton, "
                                   "poisson, bluenoise)", description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def run(args) -> int:
    """Execute the sub-command; return the exit status (0, or 2 on bad input)."""
    try:
        from .. import io, pointsets

        if args.n < 0:
            raise ValueError(f"--n must be >= 0, got {args.n}")
        if args.d < 1:
            raise ValueError(f"--d must be >= 1, got {args.d}")
        if not args.output.lower().endswith((".npy", ".txt", ".csv")):
            raise ValueError(f"-o must end in .npy, .txt or .csv, got {args.output!r}")
        if args.plot is not None and not args.plot.lower().endswith(".png"):
            raise ValueError(f"--plot must end in .png, got {args.plot!r}")
        if args.plot is not None and args.d != 2:
            raise ValueError(f"--plot needs 2D points, got --d {args.d}")
        if args.density is not None and args.kind != "bluenoise":
            raise ValueError(f"--density works with --kind bluenoise only, got --kind {args.kind}")
        if args.invert and args.density is None:
            raise ValueError("--invert needs --density")
        if args.kind == "poisson" and args.d != 2:
            raise ValueError(f"--kind poisson supports --d 2 only, got --d {args.d}")
        bounds = None
        if args.kind == "bluenoise":
            density = None
            if args.density is not None:
                from ..densities import ImageDensity

                if args.d != 2:
                    raise ValueError(f"--density needs --d 2, got --d {args.d}")
                density = ImageDensity(io.read_image(args.density, name="--density"), invert=args.invert)
                bounds = density.domain
            if args.iters < 0:
                raise ValueError(f"--iters must be >= 0, got {args.iters}")
            if args.dirs < 1:
                raise ValueError(f"--dirs must be >= 1, got {args.dirs}")
            pts = pointsets.sot_blue_noise(args.n, d=args.d, n_iters=args.iters, n_dirs=args.dirs,
                                           density=density, rng=args.seed)
        elif args.kind == "poisson":
            pts = pointsets.poisson_disk(args.n, rng=args.seed)
        else:
            pts = pointsets.POINT_SETS[args.kind](args.n, d=args.d, rng=args.seed)
        io.write_points(args.output, pts)
        if args.plot is not None:
            from ..plot.points import plot_points

            plot_points(pts, args.plot, title=args.kind + (" (adapted)" if args.density else ""), bounds=bounds)
    except (ValueError, TypeError, OSError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    return 0
