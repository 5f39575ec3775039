"""``iadb-graphics warp --envmap SKY``: primary samples → directions on the sphere with their solid-angle pdf.

Used by :mod:`iadb_graphics.cli.warp` when ``--envmap`` replaces ``--target``: the input points
(``--points`` or ``--kind``/``--n``) are primary samples in [0, 1]², ``-o`` receives unit
directions (n, 3) (+Y up, Mitsuba's ``envmap`` axes), ``--pdf`` their solid-angle density and
``--plot`` a figure of the directions over the map.
"""
from __future__ import annotations

from ._command import UsageError


def check_envmap_arguments(args) -> None:
    """Refuse the ``--target``-only options with ``--envmap`` (before any work)."""
    for flag, used in (("--invert", args.invert), ("--gamma", args.gamma != 1.0), ("--keep-aspect", args.keep_aspect)):
        if used:
            raise UsageError(f"{flag} applies to --target images, not to --envmap")


def warp_envmap(args, points, rng):
    """Directions (n, 3), their pdf (n,), the map as read and the warp's name, for primary ``points`` (n, 2)."""
    import numpy as np

    from ..envmap import EnvMapDensity
    from ..io import box_downsample, read_image

    if points.size and (points.min() < 0.0 or points.max() > 1.0):
        raise UsageError(f"--envmap needs input points in [0, 1]^2 (primary samples), got values in "
                         f"[{points.min():g}, {points.max():g}]")
    image = read_image(args.envmap, name="--envmap")
    if np.issubdtype(image.dtype, np.integer):
        image = image.astype(np.float64) / np.iinfo(image.dtype).max
    image = box_downsample(image, args.max_size)
    warp_kwargs = {"resolution": args.resolution, "allow_foldovers": args.allow_foldovers}
    try:
        env = EnvMapDensity(image, method=args.method, rng=rng, warp_kwargs=warp_kwargs)
    except (ValueError, TypeError, RuntimeError) as exc:
        lines = str(exc).strip().splitlines() or [type(exc).__name__]
        raise UsageError(f"--envmap {args.envmap!r}: {lines[0]}") from None
    directions, pdf = env.transform(points)
    return directions, pdf, image, env.method


def write_envmap_outputs(args, outputs, directions, pdf, image, method):
    """Write ``-o``, ``--pdf`` and ``--plot`` through the command's staged ``outputs``."""
    from .. import io

    with outputs.writing():
        io.write_points(outputs.stage("-o"), directions)
        if args.pdf is not None:
            io.write_points(outputs.stage("--pdf"), pdf[:, None])
        if args.plot is not None:
            from ..plot.envmap import plot_envmap_directions

            plot_envmap_directions(image, directions, pdf, outputs.stage("--plot"), title=f"{method} warp")
