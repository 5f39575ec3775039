"""Kernels of the trapezoid-band warp (``warps.continuous.ContinuousCDFWarp``).

Row band ``k`` covers ``u_y`` in ``[y0[k], y0[k] + dy[k])``; inside it the boundary between
pixel columns ``i - 1`` and ``i`` is the segment from ``(bottom[k, i], y0)`` to ``(top[k, i], y0 + dy)``.
A pixel's preimage is the trapezoid between two such segments, mapped onto the pixel with a
constant Jacobian: ``fy`` is the normalised area below height ``t`` and ``fx`` the position
across the trapezoid's width at that height.
"""
import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _find_column(bottom, top, k, t, ux):
    """Largest i with a_i(t) <= ux among columns of positive width (binary search on the boundaries)."""
    w = bottom.shape[1] - 1
    lo, hi = 0, w
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if (1.0 - t) * bottom[k, mid] + t * top[k, mid] <= ux:
            lo = mid
        else:
            hi = mid
    return lo


@njit(cache=True, parallel=True)
def band_transform(y0, dy, bottom, top, last_col, u, out, pix):
    """Warp ``u`` (n, 2) in [0, 1]²: ``out`` (n, 2) gets (column + fx, band + fy) in pixel units of
    the band grid, ``pix`` (n, 2) the (column, band) indices."""
    nb = y0.shape[0]
    for p in prange(u.shape[0]):
        uy = u[p, 1]
        # band: largest k with y0[k] <= uy
        lo, hi = 0, nb
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if y0[mid] <= uy:
                lo = mid
            else:
                hi = mid
        k = lo
        t = (uy - y0[k]) / dy[k]
        t = min(max(t, 0.0), 1.0)
        ux = u[p, 0]
        i = _find_column(bottom, top, k, t, ux)
        i = min(i, last_col[k])
        w0 = bottom[k, i + 1] - bottom[k, i]
        w1 = top[k, i + 1] - top[k, i]
        # a zero-width column at this height (the search landed on a pinched boundary): step to a wide one
        while (1.0 - t) * w0 + t * w1 <= 0.0 and i < last_col[k]:
            i += 1
            w0 = bottom[k, i + 1] - bottom[k, i]
            w1 = top[k, i + 1] - top[k, i]
        while (1.0 - t) * w0 + t * w1 <= 0.0 and i > 0:
            i -= 1
            w0 = bottom[k, i + 1] - bottom[k, i]
            w1 = top[k, i + 1] - top[k, i]
        wt = (1.0 - t) * w0 + t * w1
        a = (1.0 - t) * bottom[k, i] + t * top[k, i]
        c = 0.5 * (w0 + w1)
        fx = (ux - a) / wt if wt > 0.0 else 0.5
        fy = (w0 * t + 0.5 * (w1 - w0) * t * t) / c
        out[p, 0] = i + min(max(fx, 0.0), 1.0)
        out[p, 1] = k + min(max(fy, 0.0), 1.0)
        pix[p, 0] = i
        pix[p, 1] = k


@njit(cache=True, parallel=True)
def band_inverse(y0, dy, bottom, top, pix, frac, u):
    """Inverse of :func:`band_transform`: pixel ``pix`` (n, 2) = (column, band) and position
    ``frac`` (n, 2) in it → ``u`` (n, 2)."""
    for p in prange(pix.shape[0]):
        i = pix[p, 0]
        k = pix[p, 1]
        w0 = bottom[k, i + 1] - bottom[k, i]
        w1 = top[k, i + 1] - top[k, i]
        c = 0.5 * (w0 + w1)
        s = c * frac[p, 1]
        disc = w0 * w0 + 2.0 * (w1 - w0) * s
        t = 2.0 * s / (w0 + np.sqrt(max(disc, 0.0))) if s > 0.0 else 0.0
        t = min(max(t, 0.0), 1.0)
        wt = (1.0 - t) * w0 + t * w1
        a = (1.0 - t) * bottom[k, i] + t * top[k, i]
        u[p, 0] = min(max(a + frac[p, 0] * wt, 0.0), 1.0)
        u[p, 1] = min(max(y0[k] + t * dy[k], 0.0), 1.0)
