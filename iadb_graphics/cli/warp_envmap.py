"""``iadb-graphics warp --envmap SKY``: primary samples → directions on the sphere with their solid-angle pdf.

Used by :mod:`iadb_graphics.cli.warp` when ``--envmap`` replaces ``--target``: the input points
(``--points`` or ``--kind``/``--n``) are primary samples in [0, 1]², the output holds unit
directions (n, 3) (+Y up, Mitsuba's ``envmap`` axes) and ``--pdf`` their solid-angle density.
"""
from __future__ import annotations


def run_envmap(args, points, rng):
    """Warp ``points`` (n, 2) through an :class:`~iadb_graphics.envmap.EnvMapDensity` of ``args.envmap``
    and write the outputs the arguments name. Raises ``ValueError`` on bad input."""
    import numpy as np

    from .. import io
    from ..envmap import EnvMapDensity

    if args.invert or args.gamma != 1.0:
        raise ValueError("--invert and --gamma apply to --target images, not to --envmap")
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"the input points must be 2D primary samples, got shape {points.shape}")
    if points.size and (points.min() < 0.0 or points.max() > 1.0):
        raise ValueError(f"the input points must lie in [0, 1]^2, got values in [{points.min():g}, {points.max():g}]")
    image = io.read_image(args.envmap, name="--envmap")
    if args.max_size:
        image = io.box_downsample(image, args.max_size)
    warp_kwargs = {"resolution": args.resolution, "allow_foldovers": args.allow_foldovers}
    env = EnvMapDensity(image, method=args.method, rng=rng, warp_kwargs=warp_kwargs)
    directions, pdf = env.transform(points)
    io.write_points(args.output, directions)
    if args.pdf is not None:
        io.write_points(args.pdf, pdf[:, None])
    if args.plot is not None:
        from ..plot.envmap import plot_envmap_directions

        plot_envmap_directions(image, directions, pdf, args.plot, title=f"{env.method} warp")
    return 0
