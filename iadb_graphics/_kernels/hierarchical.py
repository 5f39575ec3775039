"""Kernels of the mip-map descent warp (``warps.image.HierarchicalWarp``).

The pyramid is stored flat: level ``l`` (``2**l`` × ``2**l`` masses, indexed ``[ix, iy]`` with
``iy`` counted from the bottom) starts at ``offsets[l]``, row-major in ``ix``.
"""
import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def pixel_coordinate(lo, step, i, f):
    """``lo + (i + f) * step``, pulled back below the pixel's far edge if rounding pushed it there,
    so that ``floor((y - lo) / step) == i`` (the point stays in the pixel whose pdf it carries)."""
    y = lo + (i + f) * step
    while y > lo and np.floor((y - lo) / step) > i:
        y = np.nextafter(y, -np.inf)
    return y


@njit(cache=True, inline="always")
def _descend(mip, offsets, levels, ux, uy, top):
    """One point's descent: (ix, iy, fx, fy) at the finest level."""
    ux = min(ux, top)
    uy = min(uy, top)
    ix = 0
    iy = 0
    for lev in range(1, levels + 1):
        size = 1 << lev
        base = offsets[lev]
        ix *= 2
        iy *= 2
        m00 = mip[base + ix * size + iy]
        m01 = mip[base + ix * size + iy + 1]
        m10 = mip[base + (ix + 1) * size + iy]
        m11 = mip[base + (ix + 1) * size + iy + 1]
        left = m00 + m01
        pl = left / (left + m10 + m11)
        if ux >= pl:
            ux = min((ux - pl) / (1.0 - pl), top)
            ix += 1
            lo, hi = m10, m11
        else:
            ux = min(ux / pl, top)
            lo, hi = m00, m01
        q = lo / (lo + hi)
        if uy >= q:
            uy = min((uy - q) / (1.0 - q), top)
            iy += 1
        else:
            uy = min(uy / q, top)
    return ix, iy, ux, uy


@njit(cache=True, parallel=True)
def hierarchical_transform(mip, offsets, levels, u, cell, frac):
    """Descend the pyramid for every ``u`` (n, 2) in [0, 1)²: ``cell`` (n, 2) gets the finest
    level's (ix, iy) and ``frac`` (n, 2) the position inside it."""
    top = np.nextafter(1.0, 0.0)
    for p in prange(u.shape[0]):
        ix, iy, fx, fy = _descend(mip, offsets, levels, u[p, 0], u[p, 1], top)
        cell[p, 0] = ix
        cell[p, 1] = iy
        frac[p, 0] = fx
        frac[p, 1] = fy


@njit(cache=True, parallel=True)
def hierarchical_warp(mip, offsets, levels, log_pdf, lo, step, u, y, log_det):
    """:func:`hierarchical_transform` fused with the output: ``y`` (n, 2) = ``lo + (cell + frac) * step``
    and ``log_det`` (n,) = ``-log_pdf[ix, iy]``, in one pass."""
    top = np.nextafter(1.0, 0.0)
    for p in prange(u.shape[0]):
        ix, iy, fx, fy = _descend(mip, offsets, levels, u[p, 0], u[p, 1], top)
        y[p, 0] = pixel_coordinate(lo[0], step[0], ix, fx)
        y[p, 1] = pixel_coordinate(lo[1], step[1], iy, fy)
        log_det[p] = -log_pdf[ix, iy]
