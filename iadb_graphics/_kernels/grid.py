"""Grid kernels of the nonparametric IADB estimator: splat, smooth, divide with a floor.

Grid convention (shared with :mod:`iadb_graphics._kernels.interp`): nodes at ``lo + i * step``,
``i = 0 … n_a − 1`` per axis; a grid array has shape ``(n0, [n1, [n2,]] channels)``.

- :func:`splat_blend`: blend K pairs at one α and splat their displacement and a unit weight
  onto the nodes with cloud-in-cell (multilinear) weights. Parallel over chunks of pairs, each
  chunk into its own buffer, then a serial reduction (race-free). Points outside the box are
  clamped onto its faces (they keep their weight).
- :func:`smooth`: separable Gaussian over the spatial axes (``scipy.ndimage``), zero outside,
  or mirrored (normal component negated) across *wall* faces.
- :func:`ratio_with_floor`: ``(num + c * fallback) / (w + c)``: the plain ratio where the weight
  is well above the floor ``c``, the fallback where it is ~0, and a smooth blend in between:
  defined, finite and continuous everywhere.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange
from scipy import ndimage

__all__ = ["splat_blend", "smooth", "ratio_with_floor"]


@njit(cache=True, inline="always")
def _cell(x, lo, inv, n):
    t = (x - lo) * inv
    if t < 0.0:
        t = 0.0
    elif t > n - 1.0:
        t = n - 1.0
    i = int(t)
    if i > n - 2:
        i = n - 2
    return i, t - i


@njit(cache=True, parallel=True)
def _splat1(x0, dx, alpha, lo, inv, n0, n_chunks):
    n = x0.shape[0]
    bufs = np.zeros((n_chunks, n0, 2))
    for ch in prange(n_chunks):
        b = bufs[ch]
        for j in range(ch * n // n_chunks, (ch + 1) * n // n_chunks):
            v0 = dx[j, 0]
            i0, f0 = _cell(x0[j, 0] + alpha * v0, lo[0], inv[0], n0)
            w = 1.0 - f0
            b[i0, 0] += w * v0
            b[i0, 1] += w
            b[i0 + 1, 0] += f0 * v0
            b[i0 + 1, 1] += f0
    out = np.zeros((n0, 2))
    for ch in range(n_chunks):
        out += bufs[ch]
    return out


@njit(cache=True, parallel=True)
def _splat2(x0, dx, alpha, lo, inv, n0, n1, n_chunks):
    n = x0.shape[0]
    bufs = np.zeros((n_chunks, n0, n1, 3))
    for ch in prange(n_chunks):
        b = bufs[ch]
        for j in range(ch * n // n_chunks, (ch + 1) * n // n_chunks):
            v0 = dx[j, 0]
            v1 = dx[j, 1]
            i0, f0 = _cell(x0[j, 0] + alpha * v0, lo[0], inv[0], n0)
            i1, f1 = _cell(x0[j, 1] + alpha * v1, lo[1], inv[1], n1)
            for a in range(2):
                wa = f0 if a else 1.0 - f0
                for c in range(2):
                    w = wa * (f1 if c else 1.0 - f1)
                    b[i0 + a, i1 + c, 0] += w * v0
                    b[i0 + a, i1 + c, 1] += w * v1
                    b[i0 + a, i1 + c, 2] += w
    out = np.zeros((n0, n1, 3))
    for ch in range(n_chunks):
        out += bufs[ch]
    return out


@njit(cache=True, parallel=True)
def _splat3(x0, dx, alpha, lo, inv, n0, n1, n2, n_chunks):
    n = x0.shape[0]
    bufs = np.zeros((n_chunks, n0, n1, n2, 4))
    for ch in prange(n_chunks):
        b = bufs[ch]
        for j in range(ch * n // n_chunks, (ch + 1) * n // n_chunks):
            v0 = dx[j, 0]
            v1 = dx[j, 1]
            v2 = dx[j, 2]
            i0, f0 = _cell(x0[j, 0] + alpha * v0, lo[0], inv[0], n0)
            i1, f1 = _cell(x0[j, 1] + alpha * v1, lo[1], inv[1], n1)
            i2, f2 = _cell(x0[j, 2] + alpha * v2, lo[2], inv[2], n2)
            for a in range(2):
                wa = f0 if a else 1.0 - f0
                for c in range(2):
                    wc = wa * (f1 if c else 1.0 - f1)
                    for e in range(2):
                        w = wc * (f2 if e else 1.0 - f2)
                        b[i0 + a, i1 + c, i2 + e, 0] += w * v0
                        b[i0 + a, i1 + c, i2 + e, 1] += w * v1
                        b[i0 + a, i1 + c, i2 + e, 2] += w * v2
                        b[i0 + a, i1 + c, i2 + e, 3] += w
    out = np.zeros((n0, n1, n2, 4))
    for ch in range(n_chunks):
        out += bufs[ch]
    return out


def splat_blend(x0, dx, alpha, lo, step, shape, *, n_chunks=None) -> np.ndarray:
    r"""Cloud-in-cell splat of the blended pairs :math:`x_\alpha = x_0 + \alpha\,dx`.

    Parameters
    ----------
    x0, dx : (K, d) float64 source points and displacements ``x1 − x0``.
    alpha : float in [0, 1].
    lo, step : (d,) grid origin and node spacing; shape : (d,) nodes per axis (each >= 2).
    n_chunks : int, optional; number of per-thread buffers (default: Numba's thread count).

    Returns
    -------
    (n0, [n1, [n2,]] d + 1) float64: channels ``[:d]`` = Σ w·dx, channel ``d`` = Σ w, where w are
    the multilinear weights of each blended point on its cell's nodes (they sum to 1 per point).
    """
    d = len(shape)
    x0 = np.ascontiguousarray(x0, dtype=np.float64)
    dx = np.ascontiguousarray(dx, dtype=np.float64)
    lo = np.ascontiguousarray(lo, dtype=np.float64).reshape(d)
    inv = 1.0 / np.ascontiguousarray(step, dtype=np.float64).reshape(d)
    if n_chunks is None:
        n_chunks = numba.get_num_threads()
    n_chunks = max(1, min(int(n_chunks), max(1, x0.shape[0])))
    dims = tuple(int(s) for s in shape)
    if d == 1:
        return _splat1(x0, dx, float(alpha), lo, inv, *dims, n_chunks)
    if d == 2:
        return _splat2(x0, dx, float(alpha), lo, inv, *dims, n_chunks)
    if d == 3:
        return _splat3(x0, dx, float(alpha), lo, inv, *dims, n_chunks)
    raise ValueError(f"splat_blend supports d = 1, 2, 3, got shape {shape}")


def smooth(grid, sigma, *, truncate=3.0, walls=None, half=False) -> np.ndarray:
    """Gaussian smoothing of ``grid`` (n0, [n1, [n2,]] C) over its spatial axes only.

    ``sigma`` in cells (0: no smoothing). Outside the grid values count as zero, except across a
    *wall*: ``walls`` is a (d, 2) bool array (axis, [low, high] face); across a wall face the grid
    continues as its mirror image, with channel ``a`` (the component normal to an axis-``a`` face)
    negated: the smoothing of data reflected at the wall, whose normal flux vanishes there.
    The mirror is about the edge node (``half=False``: the face passes through the first node)
    or about the face half a cell outside it (``half=True``).
    """
    grid = np.asarray(grid, dtype=np.float64)
    d = grid.ndim - 1
    if sigma <= 0:
        return grid.copy()
    if walls is None or not np.any(walls):
        return ndimage.gaussian_filter(grid, [float(sigma)] * d + [0.0], mode="constant", truncate=truncate)
    walls = np.asarray(walls, dtype=bool).reshape(d, 2)
    r = int(truncate * float(sigma) + 0.5)
    out = grid
    for a in range(d):
        n = out.shape[a]
        pads = [0, 0]
        parts = []
        for side in (0, 1):
            if not walls[a, side]:
                continue
            m = min(r, n - (0 if half else 1))
            pads[side] = m
            idx = np.arange(m) if half else np.arange(1, m + 1)
            if side == 0:
                idx = idx[::-1]
            else:
                idx = n - 1 - idx
            img = np.take(out, idx, axis=a).copy()
            if grid.shape[-1] > a:
                img[..., a] *= -1.0
            parts.append((side, img))
        if pads == [0, 0]:
            ext = out
        else:
            lo_img = [p for s_, p in parts if s_ == 0]
            hi_img = [p for s_, p in parts if s_ == 1]
            ext = np.concatenate(lo_img + [out] + hi_img, axis=a)
        sm = ndimage.gaussian_filter1d(ext, float(sigma), axis=a, mode="constant", truncate=truncate)
        out = np.take(sm, np.arange(pads[0], pads[0] + n), axis=a)
    return out


@njit(cache=True, parallel=True)
def _ratio(num, w, floor, fallback, out):
    m, k = num.shape
    for i in prange(m):
        den = w[i] + floor
        for c in range(k):
            out[i, c] = (num[i, c] + floor * fallback[i, c]) / den


def ratio_with_floor(num, w, floor, fallback, *, dtype=np.float64) -> np.ndarray:
    r"""Shrunk ratio :math:`(num + c\,f) / (w + c)` per node.

    Parameters
    ----------
    num : (..., k) weighted sums; w : (...) weights >= 0 (same leading shape).
    floor : float > 0, the weight ``c`` at which the result is half ratio, half fallback.
    fallback : (..., k) or (k,) values used where ``w << c``.

    Returns
    -------
    (..., k) array of ``dtype``; finite whenever the inputs are (the denominator is >= c > 0).
    """
    num = np.asarray(num, dtype=np.float64)
    lead, k = num.shape[:-1], num.shape[-1]
    if not floor > 0:
        raise ValueError(f"floor must be > 0, got {floor!r}")
    fb = np.broadcast_to(np.asarray(fallback, dtype=np.float64), num.shape)
    out = np.empty((int(np.prod(lead)), k), dtype=dtype)
    _ratio(np.ascontiguousarray(num).reshape(-1, k), np.ascontiguousarray(w, dtype=np.float64).reshape(-1),
           float(floor), np.ascontiguousarray(fb).reshape(-1, k), out)
    return out.reshape(num.shape)
