"""Point sets on the unit cube: white noise, jittered, scrambled Sobol/Halton, Poisson disk and
sliced-optimal-transport blue noise, and learned blue noise (an IADB map from jittered noise to
blue noise, :mod:`iadb_graphics.pointsets.learned`).

Every generator returns an ``(n, d)`` float64 array in [0, 1)^d (``sot_blue_noise`` with a
``density``: in the density's bounds), handles ``n = 0`` and ``n = 1``, and is reproducible
through the keyword-only ``rng`` (None | int | Generator).

References
----------
Bridson, "Fast Poisson disk sampling in arbitrary dimensions", SIGGRAPH sketches 2007.
Paulin, Bonneel, Coeurjolly, Iehl, Webanck, Desbrun, Ostromoukhov, "Sliced optimal transport
sampling", ACM TOG 39(4) (SIGGRAPH 2020).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .._validation import as_generator, as_points, check_float, check_int, describe

__all__ = ["white", "jittered", "sobol", "halton", "poisson_disk", "sot_blue_noise", "learned_blue_noise",
           "learned_blue_noise_inverse", "LearnedBlueNoise", "grid_offsets", "grid_points", "POINT_SETS"]

_BELOW_ONE = np.nextafter(1.0, 0.0)


def _check(n, d):
    return check_int(n, "n", minimum=0), check_int(d, "d", minimum=1)


def _clip_unit(x):
    """Clip into [0, 1) (rounding can land a coordinate on 1.0)."""
    return np.clip(x, 0.0, _BELOW_ONE, out=x)


def white(n, *, d=2, rng=None) -> np.ndarray:
    """``n`` independent uniform points in [0, 1)^d, shape (n, d)."""
    n, d = _check(n, d)
    return as_generator(rng).random((n, d))


def jittered(n, *, d=2, rng=None) -> np.ndarray:
    """Stratified (jittered) points: one uniform point per cell of a regular grid.

    When ``n`` is not a perfect d-th power, the grid is the largest ``m^d <= n``
    (one point per cell), and the ``n − m^d`` remaining points go one each into distinct
    cells drawn without replacement (so no cell holds more than two points). The points are
    shuffled so that any prefix is unbiased.

    Returns
    -------
    (n, d) float64 in [0, 1)^d
    """
    n, d = _check(n, d)
    rng = as_generator(rng)
    if n == 0:
        return np.empty((0, d))
    m = int(math.floor(n ** (1.0 / d) + 1e-9))
    while (m + 1) ** d <= n:
        m += 1
    while m ** d > n:
        m -= 1
    cells = np.stack(np.meshgrid(*([np.arange(m)] * d), indexing="ij"), axis=-1).reshape(-1, d)
    extra = n - m ** d
    if extra:
        cells = np.concatenate([cells, cells[rng.choice(m ** d, extra, replace=False)]])
    pts = (cells + rng.random((n, d))) / m
    return _clip_unit(pts[rng.permutation(n)])


def _qmc_engine(name, d, rng):
    """A scrambled ``scipy.stats.qmc`` engine (scipy >= 1.15 calls the seed ``rng``, older ``seed``)."""
    import inspect

    from scipy.stats import qmc

    cls = getattr(qmc, name)
    key = "rng" if "rng" in inspect.signature(cls).parameters else "seed"
    return cls(d, scramble=True, **{key: rng})


def sobol(n, *, d=2, rng=None) -> np.ndarray:
    """Owen-scrambled Sobol points (``scipy.stats.qmc.Sobol``), shape (n, d).

    For ``n`` not a power of two the first ``n`` points of the next power of two are returned
    (no balance warning; a prefix of a scrambled Sobol sequence is still a low-discrepancy set,
    only its (t, m, s)-net property is lost).
    """
    n, d = _check(n, d)
    rng = as_generator(rng)
    if n == 0:
        return np.empty((0, d))
    m = int(math.ceil(math.log2(n)))
    return _clip_unit(_qmc_engine("Sobol", d, rng).random_base2(m)[:n])


def halton(n, *, d=2, rng=None) -> np.ndarray:
    """Scrambled Halton points (``scipy.stats.qmc.Halton``), shape (n, d)."""
    n, d = _check(n, d)
    rng = as_generator(rng)
    if n == 0:
        return np.empty((0, d))
    return _clip_unit(_qmc_engine("Halton", d, rng).random(n))


# ----------------------------------------------------------------------------- Poisson disk

# Bridson sets on the torus hold about _FILL / r^2 points (measured: about 0.62 for k = 30).
_FILL = 0.61


def _bridson(radius, k, rng):
    from .._kernels.poisson import bridson_torus

    cap = int(1.16 / radius ** 2) + 8  # hexagonal packing of disks of diameter r on the torus
    u = rng.random(2 + 2 * cap * (1 + 2 * k) + 1)
    pts, _ = bridson_torus(radius, k, u, cap)
    return pts


def poisson_disk(n=None, *, radius=None, d=2, rng=None, k=30) -> np.ndarray:
    """Poisson-disk points by Bridson's dart throwing, filling the unit torus.

    Give ``radius`` (a maximal set for that radius; its size is random, about
    0.62 / radius²) or ``n`` (exactly ``n`` points: the radius is set to reach a few percent
    more than ``n`` from the measured fill rate, re-run smaller if it falls short, and the
    surplus points are dropped at random). If both are given, ``n`` points are taken from the
    set for ``radius`` (fewer if it has fewer, with a warning).

    Guarantee: every pair is at least ``radius`` apart in the *torus* metric (which implies
    the same in the square). With ``n`` given the radius used is ~0.77/sqrt(n).

    Parameters
    ----------
    n : int >= 0 or None
    radius : float in (0, 0.5] or None
    d : int, only 2 is supported
    rng : None | int | Generator
    k : int >= 1, candidates per active point (Bridson's k)

    Returns
    -------
    (n, 2) float64 in [0, 1)^2
    """
    d = check_int(d, "d", minimum=1)
    if d != 2:
        raise ValueError(f"poisson_disk supports d=2 only, got d={d}")
    k = check_int(k, "k", minimum=1)
    rng = as_generator(rng)
    if n is None and radius is None:
        raise ValueError("poisson_disk needs n or radius, got neither")
    if n is not None:
        n = check_int(n, "n", minimum=0)
    if radius is not None:
        radius = check_float(radius, "radius", minimum=0.0, strict_min=True, maximum=0.5)
        if radius < 1e-3:
            raise ValueError(f"radius={radius:g} is too small (over a million points); use radius >= 1e-3")
        pts = _bridson(radius, k, rng)
        if n is None:
            return _clip_unit(pts[rng.permutation(len(pts))])
        if len(pts) < n:
            warnings.warn(f"poisson_disk: radius={radius:g} gives only {len(pts)} points, fewer than n={n}",
                          stacklevel=2)
            n = len(pts)
        return _clip_unit(pts[rng.choice(len(pts), n, replace=False)])
    if n == 0:
        return np.empty((0, 2))
    if n == 1:
        return rng.random((1, 2))
    radius = min(0.5, math.sqrt(_FILL / (1.04 * n)))
    for _ in range(8):
        pts = _bridson(radius, k, rng)
        if len(pts) >= n:
            break
        radius *= math.sqrt(len(pts) / (1.03 * n)) if len(pts) else 0.5
    else:  # pragma: no cover - the fill rate is stable
        raise RuntimeError(f"poisson_disk could not reach n={n} points")
    return _clip_unit(pts[rng.choice(len(pts), n, replace=False)])


# ----------------------------------------------------------------------------- SOT blue noise

def _box_bin_masses(width, delta):
    """Masses of U[−w/2, w/2] on the nodes m·δ (each node standing for [mδ − δ/2, mδ + δ/2])."""
    if width <= 1e-9 * delta:
        return np.ones(1)
    half = int(math.ceil(width / 2 / delta)) + 1
    edges = (np.arange(-half, half + 2) - 0.5) * delta
    cdf = np.clip((edges + width / 2) / width, 0.0, 1.0)
    return np.diff(cdf)


def grid_quantile_table(centres, masses, cell, dirs, n, *, oversample=4):
    """Projected quantiles of a piecewise-constant density on boxes, per direction.

    The target is a sum of boxes (centre ``centres[p]``, side lengths ``cell``, mass
    ``masses[p]``). Along ``θ`` its law is the box-centre masses convolved with the law of
    the projection of one box (a convolution of uniforms of widths ``cell_k |θ_k|``); both are
    discretised on a 1D grid of spacing δ = range / (oversample · max(n, 1024)) (centre masses
    deposited linearly), so the quantiles are exact up to O(δ).

    Parameters
    ----------
    centres : (P, d) float64, masses : (P,) float64 >= 0 summing to 1, cell : (d,) float64
    dirs : (K, d) unit directions
    n : int, quantile levels (r + 1/2)/n, r = 0..n−1

    Returns
    -------
    (K, n) float64
    """
    from scipy.signal import convolve

    levels = (np.arange(n) + 0.5) / n
    nodes = oversample * max(n, 1024)
    out = np.empty((len(dirs), n))
    for j, theta in enumerate(dirs):
        s = centres @ theta
        widths = cell * np.abs(theta)
        delta = (s.max() - s.min() + widths.sum()) / nodes
        g = np.ones(1)
        for w in widths:
            g = convolve(g, _box_bin_masses(w, delta))
        t0 = s.min() - 2 * delta
        pos = (s - t0) / delta
        i0 = np.floor(pos).astype(np.int64)
        f = pos - i0
        size = int(i0.max()) + 3
        h = np.bincount(i0, masses * (1 - f), minlength=size) + np.bincount(i0 + 1, masses * f, minlength=size)
        mass = np.maximum(convolve(h, g), 0.0)  # the FFT path can leave -1e-17
        centre0 = t0 - (len(g) // 2) * delta
        cdf = np.concatenate([[0.0], np.cumsum(mass)])
        cdf /= cdf[-1]
        edges = centre0 + (np.arange(len(mass) + 1) - 0.5) * delta
        out[j] = np.interp(levels, cdf, edges)
    return out


def _density_grid(density, res=256):
    """Box centres, masses and cell size describing a 2D density as a piecewise-constant grid."""
    from ..densities import ImageDensity

    if isinstance(density, ImageDensity):
        h, w = density.height, density.width
        cols, rows = np.meshgrid(np.arange(w), np.arange(h))
        cx = density.domain[0, 0] + (cols + 0.5) * density.cell[0]
        cy = density.domain[1, 0] + (h - 1 - rows + 0.5) * density.cell[1]
        mass = density.mass
        cell = np.asarray(density.cell, float)
        box = density.domain
    else:
        box = np.asarray(density.bounds, float)
        cell = (box[:, 1] - box[:, 0]) / res
        ax = [box[i, 0] + (np.arange(res) + 0.5) * cell[i] for i in range(2)]
        cx, cy = np.meshgrid(ax[0], ax[1], indexing="ij")
        if density.has_pdf:
            mass = density.pdf(np.stack([cx.ravel(), cy.ravel()], 1)).reshape(cx.shape)
        else:  # a sampled density: histogram of a large sample on the grid
            sample = density.sample(1 << 18, rng=np.random.default_rng(0))
            mass, _, _ = np.histogram2d(sample[:, 0], sample[:, 1], bins=res, range=box)
    keep = mass.ravel() > 0
    masses = mass.ravel()[keep]
    if not masses.sum() > 0:
        raise ValueError("density has no mass on its bounds")
    centres = np.stack([cx.ravel()[keep], cy.ravel()[keep]], 1)
    return centres, masses / masses.sum(), cell, box


#: Kernel calls of :func:`sot_blue_noise` while its progress bar shows (the bar's updates).
SOT_BAR_UPDATES = 10


def _sot_chunked(run, x, n_iters, progress):
    """``run(x, slice)`` over all the iterations: one call, or :data:`SOT_BAR_UPDATES` consecutive slices
    while a progress bar shows (each call re-sorts its projections from scratch, so chunks cost time)."""
    from .._progress import progress_bar

    with progress_bar(n_iters, desc="blue noise", progress=progress, unit="it") as bar:
        chunk = max(1, n_iters if bar.disable else -(-n_iters // SOT_BAR_UPDATES))
        for start in range(0, n_iters, chunk):
            stop = min(n_iters, start + chunk)
            x = run(x, slice(start, stop))
            bar.update(stop - start)
    return x


def sot_blue_noise(n, *, d=2, n_iters=1024, n_dirs=64, density=None, step=1.0, n_table=None,
                   init=None, rng=None, progress=None) -> np.ndarray:
    """Blue-noise points by sliced optimal transport sampling (Paulin et al. 2020).

    Start from white noise (or an i.i.d. sample of ``density``, or the points ``init``); at each of ``n_iters``
    iterations draw ``n_dirs`` random unit directions, and along each one sort the projected
    points and pair the point of rank r with the target quantile at level (r + 1/2)/n; move every
    point by ``step`` × the displacement averaged over the directions
    (``x_i += step/n_dirs · Σ_θ (q_θ,rank(i) − x_i·θ) θ``).

    Targets: the uniform unit square (d = 2, no ``density``) uses the closed-form quantiles of
    the projected square (a trapezoid law) and fresh continuous directions each iteration.
    Every other target — a ``density`` (2D: an ``ImageDensity`` through its pixel grid, a
    density with a pdf through a 256² grid of its pdf on its bounds, a sampled one through a
    histogram of 2^18 samples) or the uniform cube in d ≠ 2 — uses tabulated projected
    quantiles (:func:`grid_quantile_table`, exact up to a fine 1D discretisation) on
    ``n_table`` fixed directions (default 256: equispaced angles in 2D, random ones in
    higher d), and each iteration picks ``n_dirs`` distinct ones at random (each direction
    re-sorts from the point order of its last use, a near-linear sort).

    Parameters
    ----------
    n : int >= 0
    d : int >= 1 (a ``density`` must be 2D)
    n_iters, n_dirs : int >= 1
    density : Density or None
    step : float in (0, 2]
    n_table : int or None
    init : (n, d) array or None
        The starting points (default: drawn from ``rng`` as above). A few iterations from an
        already well spread set refine it; the iterations' directions are still drawn from ``rng``.
    rng : None | int | Generator
    progress : None | bool
        A progress bar over the iterations (None: only on a terminal). While it shows, the kernel
        runs in :data:`SOT_BAR_UPDATES` chunks; the points are the same as without it.

    Returns
    -------
    (n, d) float64 in [0, 1)^d, or in the density's bounds.
    """
    import numba

    from .._kernels.sot import sot_tabulated, sot_uniform2d

    n, d = _check(n, d)
    n_iters = check_int(n_iters, "n_iters", minimum=0)
    n_dirs = check_int(n_dirs, "n_dirs", minimum=1)
    step = check_float(step, "step", minimum=0.0, strict_min=True, maximum=2.0)
    rng = as_generator(rng)
    if density is not None:
        from ..densities import Density

        if not isinstance(density, Density):
            raise TypeError(f"density must be an iadb_graphics Density (e.g. ImageDensity), got {describe(density)}")
        if density.d != 2:
            raise ValueError(f"density-adapted sot_blue_noise supports 2D densities, got d={density.d}")
        d = 2
    if init is not None:
        init = as_points(init, "init", d=d, copy=True)
        if len(init) != n:
            raise ValueError(f"init must hold n={n} points, got {len(init)}")
    if n == 0:
        return np.empty((0, d))
    if density is None and d == 2:
        x0 = rng.random((n, 2)) if init is None else init
        ang = rng.random((n_iters, n_dirs)) * (2 * np.pi)
        dirs = np.stack([np.cos(ang), np.sin(ang)], axis=-1)
        return _clip_unit(_sot_chunked(lambda x, s: sot_uniform2d(x, dirs[s], step, numba.get_num_threads()),
                                       x0, n_iters, progress))
    if n_table is None:
        n_table = 256
    n_table = check_int(n_table, "n_table", minimum=1)
    if d == 1:
        n_table = 1
        n_dirs = 1
    if n_table < n_dirs:
        raise ValueError(f"n_table={n_table} must be >= n_dirs={n_dirs} (each iteration uses distinct directions)")
    if d == 1:
        table_dirs = np.ones((1, 1))
    elif d == 2:
        ang = (np.arange(n_table) + 0.5) * (np.pi / n_table)
        table_dirs = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    else:
        table_dirs = rng.standard_normal((n_table, d))
        table_dirs /= np.linalg.norm(table_dirs, axis=1, keepdims=True)
    if density is None:
        centres, masses, cell, box = np.full((1, d), 0.5), np.ones(1), np.ones(d), None
        x0 = rng.random((n, d)) if init is None else init
    else:
        centres, masses, cell, box = _density_grid(density)
        x0 = density.sample(n, rng=rng) if init is None else init
    table_q = grid_quantile_table(centres, masses, cell, table_dirs, n)
    # distinct table rows within each iteration (the kernel caches one point order per row)
    idx = np.argsort(rng.random((n_iters, n_table)), axis=1)[:, :n_dirs].astype(np.int64)
    x = _sot_chunked(lambda x, s: sot_tabulated(x, table_dirs, table_q, idx[s], step, numba.get_num_threads()),
                     x0, n_iters, progress)
    if box is None:
        return _clip_unit(x)
    return np.clip(x, box[:, 0], np.nextafter(box[:, 1], -np.inf))


from .learned import (LearnedBlueNoise, grid_offsets, grid_points, learned_blue_noise,  # noqa: E402
                      learned_blue_noise_inverse)

#: name → generator ``f(n, *, rng)``, as used by the CLI and the benchmarks.
POINT_SETS = {
    "white": white,
    "jittered": jittered,
    "sobol": sobol,
    "halton": halton,
    "poisson": poisson_disk,
    "bluenoise": sot_blue_noise,
    "learned": learned_blue_noise,
}
