"""Kernels of the band warp (``warps.continuous.ContinuousCDFWarp``).

Row band ``k`` covers ``u_y`` in ``[y0[k], y0[k] + dy[k])``. At local height ``t`` in [0, 1] the
boundary between pixel columns ``i - 1`` and ``i`` sits at ``a_i(t)``, piecewise linear in ``t``
through ``bottom[k, i]`` (t = 0), ``mid[k, i]`` (t = 1/2) and ``top[k, i]`` (t = 1). A pixel's
preimage is the region between two such boundaries, mapped onto the pixel with a constant
Jacobian: ``fy`` is the normalised area below height ``t``, ``fx`` the position across the
width at that height.
"""
import numpy as np
from numba import njit, prange

from .hierarchical import pixel_coordinate


@njit(cache=True, inline="always")
def _lerp3(lo, mid, hi, t):
    """Piecewise-linear interpolation through (0, lo), (1/2, mid), (1, hi)."""
    if t <= 0.5:
        return lo + 2.0 * t * (mid - lo)
    return mid + (2.0 * t - 1.0) * (hi - mid)


@njit(cache=True, inline="always")
def _area_below(w0, wm, w1, t):
    """Area under the piecewise-linear width profile (w0, wm, w1) from 0 to t."""
    if t <= 0.5:
        return w0 * t + (wm - w0) * t * t
    s = t - 0.5
    return 0.25 * (w0 + wm) + wm * s + (w1 - wm) * s * s


@njit(cache=True, inline="always")
def _height_of_area(w0, wm, w1, s):
    """Inverse of :func:`_area_below` in t (the profile is >= 0, so the area is monotone)."""
    half = 0.25 * (w0 + wm)
    if s <= half:
        disc = w0 * w0 + 4.0 * (wm - w0) * s
        den = w0 + np.sqrt(max(disc, 0.0))
        return 2.0 * s / den if den > 0.0 else 0.0
    s = s - half
    disc = wm * wm + 4.0 * (w1 - wm) * s
    den = wm + np.sqrt(max(disc, 0.0))
    return 0.5 + (2.0 * s / den if den > 0.0 else 0.5)


@njit(cache=True, inline="always")
def _width(bottom, mid, top, k, i, t):
    return _lerp3(bottom[k, i + 1], mid[k, i + 1], top[k, i + 1], t) - _lerp3(bottom[k, i], mid[k, i], top[k, i], t)


@njit(cache=True, inline="always")
def _locate(y0, dy, bottom, mid, top, last_col, ux, uy):
    """One point: (column, band, fx, fy)."""
    nb = y0.shape[0]
    ncol = bottom.shape[1] - 1
    lo, hi = 0, nb
    while hi - lo > 1:  # band: largest k with y0[k] <= uy
        m = (lo + hi) // 2
        if y0[m] <= uy:
            lo = m
        else:
            hi = m
    k = lo
    t = min(max((uy - y0[k]) / dy[k], 0.0), 1.0)
    lo, hi = 0, ncol
    while hi - lo > 1:  # column: largest i with a_i(t) <= ux
        m = (lo + hi) // 2
        if _lerp3(bottom[k, m], mid[k, m], top[k, m], t) <= ux:
            lo = m
        else:
            hi = m
    i = min(lo, last_col[k])
    # a column pinched to zero width at this height: step to the nearest open one on the left
    # (ux sits on its right edge), or on the right if there is none
    w = _width(bottom, mid, top, k, i, t)
    while w <= 0.0 and i > 0:
        i -= 1
        w = _width(bottom, mid, top, k, i, t)
    while w <= 0.0 and i < last_col[k]:
        i += 1
        w = _width(bottom, mid, top, k, i, t)
    a = _lerp3(bottom[k, i], mid[k, i], top[k, i], t)
    w0 = bottom[k, i + 1] - bottom[k, i]
    wm = mid[k, i + 1] - mid[k, i]
    w1 = top[k, i + 1] - top[k, i]
    c = 0.25 * (w0 + 2.0 * wm + w1)
    fx = (ux - a) / w if w > 0.0 else 0.5
    fy = _area_below(w0, wm, w1, t) / c
    return i, k, min(max(fx, 0.0), 1.0), min(max(fy, 0.0), 1.0)


@njit(cache=True, parallel=True)
def band_transform(y0, dy, bottom, mid, top, last_col, u, out, pix):
    """Warp ``u`` (n, 2) in [0, 1]²: ``out`` (n, 2) gets the position (fx, fy) in [0, 1]² inside the
    pixel, ``pix`` (n, 2) its (column, band)."""
    for p in prange(u.shape[0]):
        i, k, fx, fy = _locate(y0, dy, bottom, mid, top, last_col, u[p, 0], u[p, 1])
        out[p, 0] = fx
        out[p, 1] = fy
        pix[p, 0] = i
        pix[p, 1] = k


@njit(cache=True, parallel=True)
def band_warp(y0, dy, bottom, mid, top, last_col, rows, log_pdf, lo, step, u, y, log_det):
    """:func:`band_transform` fused with the output: ``y`` (n, 2) in the domain (band k is image row
    ``rows[k]`` counted from the bottom) and ``log_det`` (n,) = ``-log_pdf[row, column]``."""
    for p in prange(u.shape[0]):
        i, k, fx, fy = _locate(y0, dy, bottom, mid, top, last_col, u[p, 0], u[p, 1])
        r = rows[k]
        y[p, 0] = pixel_coordinate(lo[0], step[0], i, fx)
        y[p, 1] = pixel_coordinate(lo[1], step[1], r, fy)
        log_det[p] = -log_pdf[r, i]


@njit(cache=True, parallel=True)
def band_inverse(y0, dy, bottom, mid, top, pix, frac, u):
    """Inverse of :func:`band_transform`: pixel ``pix`` (n, 2) = (column, band) and the position
    ``frac`` (n, 2) inside it → ``u`` (n, 2)."""
    for p in prange(pix.shape[0]):
        i = pix[p, 0]
        k = pix[p, 1]
        w0 = bottom[k, i + 1] - bottom[k, i]
        wm = mid[k, i + 1] - mid[k, i]
        w1 = top[k, i + 1] - top[k, i]
        c = 0.25 * (w0 + 2.0 * wm + w1)
        t = min(max(_height_of_area(w0, wm, w1, c * frac[p, 1]), 0.0), 1.0)
        a = _lerp3(bottom[k, i], mid[k, i], top[k, i], t)
        w = _lerp3(bottom[k, i + 1], mid[k, i + 1], top[k, i + 1], t) - a
        u[p, 0] = min(max(a + frac[p, 0] * w, 0.0), 1.0)
        u[p, 1] = min(max(y0[k] + t * dy[k], 0.0), 1.0)
