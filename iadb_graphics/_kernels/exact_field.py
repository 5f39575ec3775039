"""Kernel of the exact IADB velocity at scattered points (uniform box → piecewise-constant 2D density).

:func:`box_velocity` evaluates, for each point ``x`` at its own ``alpha`` in (0, 1), the posterior
mean displacement :math:`(E[x_1 \\mid x_\\alpha = x] - x) / (1 - \\alpha)` where the posterior is
the tabulated density restricted to the box
:math:`[(x - (1 - \\alpha)\\,high) / \\alpha,\\ (x - (1 - \\alpha)\\,low) / \\alpha]`. Per axis the box
is cut into a partial cell at each end (integrated exactly, relative to ``x``, so short boxes keep
full precision) and the whole cells between (read from cumulative sums); the 3 × 3 blocks of the
two axes come from the density itself, per-row / per-column cumulative sums and summed-area
tables. O(1) per point; parallel over points (each writes its own row).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["box_velocity"]


@njit(cache=True, inline="always")
def _cell(edges, u):
    n = edges.size - 1
    c = np.searchsorted(edges, u, side="right") - 1
    if c < 0:
        c = 0
    elif c > n - 1:
        c = n - 1
    return c


@njit(cache=True)
def _pieces(edges, lo, hi, ref, collapse):
    """(c_lo, c_hi, first, last, L_lo, L_hi, M_lo, M_hi, scale) of one interval on one axis."""
    e0, e1 = edges[0], edges[edges.size - 1]
    lo = min(max(lo, e0), e1)
    hi = max(min(max(hi, e0), e1), lo)
    c_lo = _cell(edges, lo)
    c_hi = _cell(edges, hi)
    length = hi - lo
    if length <= collapse * (e1 - e0):  # a point: the cell holding it, unit length
        return c_lo, c_lo, c_lo, c_lo, 1.0, 0.0, lo - ref, 0.0, 1.0
    if c_lo == c_hi:
        return (c_lo, c_hi, c_lo, c_lo, length, 0.0,
                0.5 * ((hi - ref) ** 2 - (lo - ref) ** 2), 0.0, length)
    a_end = edges[c_lo + 1]
    b_start = edges[c_hi]
    return (c_lo, c_hi, c_lo + 1, c_hi, a_end - lo, hi - b_start,
            0.5 * ((a_end - ref) ** 2 - (lo - ref) ** 2), 0.5 * ((hi - ref) ** 2 - (b_start - ref) ** 2), length)


@njit(cache=True)
def _rect(t, f0, l0, f1, l1):
    return t[l0, l1] - t[f0, l1] - t[l0, f1] + t[f0, f1]


@njit(parallel=True, cache=True)
def box_velocity(edges_x, edges_y, density, rows_l, rows_m, cols_l, cols_m, sat_ll, sat_ml, sat_lm, low, high,
                 x, alpha, collapse, out):
    """Velocity at ``x`` (n, 2), each at ``alpha`` (n,) in (0, 1), written to ``out`` (n, 2).

    ``density`` (W, H) on the cells of ``edges_x`` (W + 1,) × ``edges_y`` (H + 1,);
    ``rows_l[i, k] = Σ_{j<k} density[i, j] wy_j`` and ``rows_m`` the same times the y centres;
    ``cols_l[k, j] = Σ_{i<k} density[i, j] wx_i`` and ``cols_m`` times the x centres;
    ``sat_ll[k, l] = Σ_{i<k, j<l} density wx wy``, ``sat_ml`` times the x centres, ``sat_lm`` times
    the y centres; ``low``, ``high`` (2,) the uniform source box; ``collapse``: an interval
    shorter than this fraction of the axis is a point.
    """
    for p in prange(x.shape[0]):
        a = alpha[p]
        rx, ry = x[p, 0], x[p, 1]
        cxl, cxh, fx, lx, lxl, lxh, mxl, mxh, sx = _pieces(
            edges_x, (rx - (1.0 - a) * high[0]) / a, (rx - (1.0 - a) * low[0]) / a, rx, collapse)
        cyl, cyh, fy, ly, lyl, lyh, myl, myh, sy = _pieces(
            edges_y, (ry - (1.0 - a) * high[1]) / a, (ry - (1.0 - a) * low[1]) / a, ry, collapse)
        mass = 0.0
        mom_x = 0.0
        mom_y = 0.0
        # partial x cells × partial y cells
        for ex in range(2):
            cx = cxl if ex == 0 else cxh
            wl = lxl if ex == 0 else lxh
            wm = mxl if ex == 0 else mxh
            for ey in range(2):
                cy = cyl if ey == 0 else cyh
                vl = lyl if ey == 0 else lyh
                vm = myl if ey == 0 else myh
                dens = density[cx, cy]
                mass += dens * wl * vl
                mom_x += dens * wm * vl
                mom_y += dens * wl * vm
            # partial x cell × whole y cells
            whole_l = rows_l[cx, ly] - rows_l[cx, fy]
            whole_m = (rows_m[cx, ly] - rows_m[cx, fy]) - ry * whole_l
            mass += wl * whole_l
            mom_x += wm * whole_l
            mom_y += wl * whole_m
        # whole x cells × partial y cells
        for ey in range(2):
            cy = cyl if ey == 0 else cyh
            vl = lyl if ey == 0 else lyh
            vm = myl if ey == 0 else myh
            whole_l = cols_l[lx, cy] - cols_l[fx, cy]
            whole_m = (cols_m[lx, cy] - cols_m[fx, cy]) - rx * whole_l
            mass += vl * whole_l
            mom_x += vl * whole_m
            mom_y += vm * whole_l
        # whole × whole
        ll = _rect(sat_ll, fx, lx, fy, ly)
        mass += ll
        mom_x += _rect(sat_ml, fx, lx, fy, ly) - rx * ll
        mom_y += _rect(sat_lm, fx, lx, fy, ly) - ry * ll
        scale = mass * (1.0 - a)
        out[p, 0] = mom_x / scale
        out[p, 1] = mom_y / scale
