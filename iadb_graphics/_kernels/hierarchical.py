"""Kernels of the mip-map descent warp (``warps.image.HierarchicalWarp``).

The descent reads one record per level: node ``(px, py)`` of level ``l`` (``2**l`` × ``2**l``
nodes, ``py`` counted from the bottom) is row ``offsets[l] + px * 2**l + py`` of ``splits``,
holding the mass fraction of its left column and, within the left and the right column, the
fraction of the lower cell (see :func:`split_table`). One contiguous record per level keeps the
descent to one cache line per level.
"""
import numpy as np
from numba import njit, prange


def split_table(mips):
    """``splits`` (n_nodes, 3) = (left / node, lower-left / left, lower-right / right) and
    ``offsets`` (levels + 1,) from the pyramid ``mips`` (1×1 … 2^L×2^L masses, ``[ix, iy]``)."""
    rows = []
    for m in mips[1:]:
        m00, m01, m10, m11 = m[0::2, 0::2], m[0::2, 1::2], m[1::2, 0::2], m[1::2, 1::2]
        left, right = m00 + m01, m10 + m11
        with np.errstate(divide="ignore", invalid="ignore"):  # empty nodes and columns are never entered
            rows.append(np.stack([left / (left + right), m00 / left, m10 / right], axis=-1).reshape(-1, 3))
    sizes = [len(r) for r in rows]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    splits = np.concatenate(rows) if rows else np.zeros((0, 3))
    return np.ascontiguousarray(splits), offsets


@njit(cache=True, inline="always")
def pixel_coordinate(lo, step, i, f):
    """``lo + (i + f) * step``, pulled back below the pixel's far edge if rounding pushed it there,
    so that ``floor((y - lo) / step) == i`` (the point stays in the pixel whose pdf it carries)."""
    y = lo + (i + f) * step
    while y > lo and np.floor((y - lo) / step) > i:
        y = np.nextafter(y, -np.inf)
    return y


@njit(cache=True, inline="always")
def _descend(splits, offsets, levels, ux, uy, top):
    """One point's descent: (ix, iy, fx, fy) at the finest level."""
    ux = min(ux, top)
    uy = min(uy, top)
    ix = 0
    iy = 0
    for lev in range(levels):
        node = offsets[lev] + ix * (1 << lev) + iy
        pl = splits[node, 0]
        ix *= 2
        iy *= 2
        if ux >= pl:
            ux = min((ux - pl) / (1.0 - pl), top)
            ix += 1
            q = splits[node, 2]
        else:
            ux = min(ux / pl, top)
            q = splits[node, 1]
        if uy >= q:
            uy = min((uy - q) / (1.0 - q), top)
            iy += 1
        else:
            uy = min(uy / q, top)
    return ix, iy, ux, uy


@njit(cache=True, parallel=True)
def hierarchical_transform(splits, offsets, levels, u, cell, frac):
    """Descend for every ``u`` (n, 2) in [0, 1)²: ``cell`` (n, 2) gets the finest level's
    (ix, iy) and ``frac`` (n, 2) the position inside it."""
    top = np.nextafter(1.0, 0.0)
    for p in prange(u.shape[0]):
        ix, iy, fx, fy = _descend(splits, offsets, levels, u[p, 0], u[p, 1], top)
        cell[p, 0] = ix
        cell[p, 1] = iy
        frac[p, 0] = fx
        frac[p, 1] = fy


@njit(cache=True, parallel=True)
def hierarchical_warp(splits, offsets, levels, log_pdf, lo, step, u, y, log_det):
    """:func:`hierarchical_transform` fused with the output: ``y`` (n, 2) = ``lo + (cell + frac) * step``
    and ``log_det`` (n,) = ``-log_pdf[ix, iy]``, in one pass."""
    top = np.nextafter(1.0, 0.0)
    for p in prange(u.shape[0]):
        ix, iy, fx, fy = _descend(splits, offsets, levels, u[p, 0], u[p, 1], top)
        y[p, 0] = pixel_coordinate(lo[0], step[0], ix, fx)
        y[p, 1] = pixel_coordinate(lo[1], step[1], iy, fy)
        log_det[p] = -log_pdf[ix, iy]
