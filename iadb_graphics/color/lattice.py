"""A LUT fitted to colour pairs: sliced OT moves colour samples, lattice regression makes the LUT.

The ``sliced-lut`` transfer does its transport on a few ten thousand colour samples only, then
fits the LUT to the pairs (sample, moved sample) directly:

1. :func:`sliced_particles`: iterative sliced OT on the samples themselves (Pitié's IDT run as a
   particle method): along random orthonormal frames, each sample's projection is replaced by
   the target projection of the same rank (exact 1D OT between equal-size sets). No quantile
   tables are stored and nothing is replayed: the moved samples are the result.
2. :func:`fit_lut`: the LUT whose trilinear interpolation best reproduces the moved samples at
   the source samples, by smoothed back-fitting. Start from the least-squares affine map
   (:func:`affine_lut`); at each pass splat the residuals ``y - LUT(x)`` and a unit weight onto the
   nodes with trilinear weights, smooth both with a small Gaussian and add their ratio. Where the
   samples are dense the residuals go to zero (the LUT fits the pairs at its resolution); where
   there are none the LUT stays the affine map, so colours absent from the source still map
   smoothly. Unlike baking a map at the nodes, the fit is made *where the colours are*, so the
   interpolated LUT reproduces the transport on the image's own colours.

References
----------
F. Pitié, A. Kokaram, R. Dahyot, "Automated colour grading using colour distribution transfer", CVIU 2007.
E. K. Garcia, R. Arora, M. R. Gupta, "Optimized regression for efficient function evaluation"
(lattice regression), IEEE TIP 2012.
"""
from __future__ import annotations

import numpy as np

from .._validation import as_generator, as_points, check_float, check_int
from ..maps.base import BaseMap, to_numpy_io

__all__ = ["sliced_particles", "affine_lut", "fit_lut", "LUTMap"]


def sliced_particles(xs, xt, n_iters: int, *, bins: int | None = None, bandwidth: float = 1.0,
                     rng=None) -> np.ndarray:
    """Move ``xs`` (n, 3) towards ``xt`` (n, 3) by ``n_iters`` frames of sliced OT.

    Each iteration draws a random orthonormal frame; along each of its axes every sample's
    target is the sorted target projection of the same rank (exact 1D OT between equal-size sets).

    With ``bins=None`` every sample moves to its target (Pitié's IDT run on the samples). With
    ``bins`` the displacements are first smoothed on a ``bins``³ grid over the samples' box
    (cloud-in-cell splat, Gaussian of ``bandwidth`` cells, trilinear read-back), so every step is a
    smooth map of colour space: equal colours stay equal and nearby colours stay near, and the
    result is a smooth function of the source colour even when the source has few distinct
    colours (a ramp), where exact rank matching scatters duplicates over the target.

    Returns the moved samples (n, 3) (a new array).
    """
    x = np.array(as_points(xs, "xs", d=3, allow_empty=False), dtype=np.float64)
    xt = as_points(xt, "xt", d=3, allow_empty=False)
    if xt.shape[0] != x.shape[0]:
        raise ValueError(f"xs and xt must hold as many samples, got {x.shape[0]} and {xt.shape[0]}")
    n_iters = check_int(n_iters, "n_iters", minimum=0)
    bins = None if bins is None else check_int(bins, "bins", minimum=2, maximum=256)
    bandwidth = check_float(bandwidth, "bandwidth", minimum=0.0)
    rng = as_generator(rng)
    for _ in range(n_iters):
        q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
        px = x @ q
        target = np.sort(xt @ q, axis=0)
        moved = np.empty_like(px)
        order = np.argsort(px, axis=0)
        for j in range(3):
            moved[order[:, j], j] = target[:, j]
        step = (moved - px) @ q.T
        x += step if bins is None else _smoothed(x, step, bins, bandwidth)
    return x


def _splat(u, values, size):
    """Trilinear splat of points ``u`` (n, 3) in [0, 1]³ carrying ``values`` (n, k) → (weight, sum)."""
    from .._kernels.lattice import splat_trilinear

    weight = np.zeros((size, size, size))
    num = np.zeros((size, size, size, values.shape[1]))
    splat_trilinear(np.ascontiguousarray(u, dtype=np.float64), np.ascontiguousarray(values, dtype=np.float64),
                    weight, num)
    return weight, num


def _blur(a, bandwidth):
    """Gaussian smoothing of a lattice (s, s, s[, k]) over its 3 spatial axes (float32, kernel cut
    at 2σ: the lattice is only ever a correction, and this halves the cost of every pass)."""
    from scipy.ndimage import gaussian_filter

    if bandwidth <= 0:
        return a
    sigma = (bandwidth,) * 3 + (0,) * (a.ndim - 3)
    return gaussian_filter(a.astype(np.float32), sigma, mode="nearest", truncate=2.0)


def _smoothed(x, values, bins, bandwidth, floor=1e-3):
    """Kernel regression of ``values`` (n, 3) at the points ``x`` (n, 3) on a grid over their box."""
    from .._kernels.lut import apply_lut_3d

    lo, hi = x.min(0), x.max(0)
    u = np.ascontiguousarray((x - lo) / np.maximum(hi - lo, 1e-9))
    weight, num = _splat(u, values, bins)
    weight = _blur(weight, bandwidth)
    weight += floor * weight.max()
    field = (_blur(num, bandwidth) / weight[..., None]).astype(np.float32)
    out = np.empty_like(u)
    apply_lut_3d(u, out, field, 1.0, 0.0, False)
    return out


def affine_lut(x, y, size: int) -> np.ndarray:
    """The least-squares affine map ``y ≈ A x + b`` of RGB pairs, baked as a LUT (size³, 3), clipped."""
    x = as_points(x, "x", d=3, allow_empty=False)
    y = as_points(y, "y", d=3, allow_empty=False)
    coef, *_ = np.linalg.lstsq(np.c_[x, np.ones(x.shape[0])], y, rcond=None)
    g = np.linspace(0.0, 1.0, size)
    lut = (g[:, None, None, None] * coef[0] + g[None, :, None, None] * coef[1] + g[None, None, :, None] * coef[2]
           + coef[3])
    return np.clip(lut, 0.0, 1.0)


def fit_lut(x, y, size: int = 33, *, bandwidth: float = 1.0, n_iters: int = 16, prior=None,
            floor: float = 1e-3) -> np.ndarray:
    r"""A LUT (size³, 3) whose trilinear interpolation reproduces RGB pairs ``x → y``.

    Parameters
    ----------
    x, y : ndarray (n, 3)
        Source and mapped sRGB colours in [0, 1].
    size : int
        Nodes per axis.
    bandwidth : float
        σ of the Gaussian smoothing of each pass, in nodes (larger: smoother LUT, looser fit).
    n_iters : int
        Back-fitting passes (more: closer fit where samples are dense).
    prior : ndarray (size, size, size, 3), optional
        Starting LUT, kept where there are no samples (default :func:`affine_lut` of the pairs).
    floor : float
        Weight added to the smoothed sample weight of every node, as a fraction of the mean
        weight per node: nodes with fewer samples than that are updated less.

    Returns
    -------
    ndarray (size, size, size, 3), clipped to [0, 1]

    Notes
    -----
    Each pass computes :math:`r_i = y_i - L(x_i)` and updates
    :math:`L \leftarrow L + G_\sigma * \sum_i w_i r_i \,/\, (G_\sigma * \sum_i w_i + c)`, with
    :math:`w_i` the trilinear weights of :math:`x_i` on the nodes and :math:`c` = ``floor`` × n / size³.
    """
    from .._kernels.lut import apply_lut_3d

    x = np.ascontiguousarray(np.clip(as_points(x, "x", d=3, allow_empty=False), 0.0, 1.0))
    y = as_points(y, "y", d=3, allow_empty=False)
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"x and y must hold as many colours, got {x.shape[0]} and {y.shape[0]}")
    size = check_int(size, "size", minimum=2, maximum=256)
    bandwidth = check_float(bandwidth, "bandwidth", minimum=0.0)
    n_iters = check_int(n_iters, "n_iters", minimum=0)
    floor = check_float(floor, "floor", minimum=0.0, strict_min=True)
    lut = affine_lut(x, y, size) if prior is None else np.array(prior, dtype=np.float64)
    if lut.shape != (size, size, size, 3):
        raise ValueError(f"prior must have shape {(size, size, size, 3)}, got {lut.shape}")
    weight = _blur(_splat(x, np.zeros((x.shape[0], 0)), size)[0], bandwidth) + floor * x.shape[0] / size ** 3
    fitted = np.empty_like(x)
    for _ in range(n_iters):
        apply_lut_3d(x, fitted, lut.astype(np.float32), 1.0, 0.0, False)
        lut += _blur(_splat(x, y - fitted, size)[1], bandwidth) / weight[..., None]
    return np.clip(lut, 0.0, 1.0)


class LUTMap(BaseMap):
    """A map of RGB colours (n, 3) in [0, 1] given by a LUT (trilinear), fitted by :func:`fit_lut`.

    Unlike the transport maps, ``fit(source, target)`` is a regression on *paired* colours:
    ``target[i]`` is the image of ``source[i]``. The map has no inverse and no log-determinant.

    Parameters
    ----------
    size, bandwidth, n_iters : as in :func:`fit_lut`.

    Attributes
    ----------
    lut_ : ndarray (size, size, size, 3) float64
        The fitted LUT, rounded to the float32 precision :meth:`transform` interpolates in, so
        that the map equals its LUT exactly at the nodes (baking it at ``size`` returns ``lut_``).
    """

    has_inverse = False

    def __init__(self, *, size: int = 33, bandwidth: float = 1.0, n_iters: int = 16):
        self.size = check_int(size, "size", minimum=2, maximum=256)
        self.bandwidth = check_float(bandwidth, "bandwidth", minimum=0.0)
        self.n_iters = check_int(n_iters, "n_iters", minimum=0)

    def fit(self, source, target, *, rng=None, progress=None):
        """Fit the LUT to pairs: ``source`` (n, 3) colours and ``target`` (n, 3) their images."""
        lut = fit_lut(source, target, self.size, bandwidth=self.bandwidth, n_iters=self.n_iters)
        self.lut_ = lut.astype(np.float32).astype(np.float64)
        self.d = 3
        self.bounds = np.array([[0.0, 1.0]] * 3)
        return self

    def transform(self, x, *, return_log_det=False):
        """Trilinear interpolation of the fitted LUT at colours (n, 3)."""
        from .._kernels.lut import apply_lut_3d

        self._check_log_det(return_log_det)
        self._check_fitted()
        x, restore = to_numpy_io(x, "x", 3)
        out = np.empty_like(x)
        apply_lut_3d(np.ascontiguousarray(x), out, self.lut_.astype(np.float32), 1.0, 0.0, False)
        return restore(out)
