"""Point location in a 2D triangle mesh through a uniform bucket grid.

The bucket grid covers the mesh's bounding box with ``nbx × nby`` cells; every triangle is
listed in each bucket its (slightly padded) bounding box overlaps, in CSR form (``offsets``,
``items``). A query looks only at the triangles of its own bucket.
Twins: ``tests/naive/mesh.py``.
"""
import numpy as np
from numba import njit, prange


@njit(cache=True)
def _bucket_range(lo, hi, origin, inv_cell, nb):
    a = int(np.floor((lo - origin) * inv_cell))
    b = int(np.floor((hi - origin) * inv_cell))
    if a < 0:
        a = 0
    if b > nb - 1:
        b = nb - 1
    return a, b


@njit(cache=True)
def _triangle_buckets(tri, k, pad, origin, inv_cell, nbx, nby):
    """Bucket index ranges ``x0, x1, y0, y1`` (inclusive) overlapped by triangle ``k``'s padded box."""
    x0, x1 = _bucket_range(min(tri[k, 0, 0], tri[k, 1, 0], tri[k, 2, 0]) - pad,
                           max(tri[k, 0, 0], tri[k, 1, 0], tri[k, 2, 0]) + pad, origin[0], inv_cell[0], nbx)
    y0, y1 = _bucket_range(min(tri[k, 0, 1], tri[k, 1, 1], tri[k, 2, 1]) - pad,
                           max(tri[k, 0, 1], tri[k, 1, 1], tri[k, 2, 1]) + pad, origin[1], inv_cell[1], nby)
    return x0, x1, y0, y1


@njit(cache=True)
def build_buckets(tri, origin, inv_cell, nbx, nby, pad):
    """List the triangles ``tri`` (T, 3, 2) overlapping each bucket.

    Bucket ``(bx, by)`` (flat index ``bx * nby + by``) covers
    ``origin + [bx, bx + 1) / inv_cell[0] × [by, by + 1) / inv_cell[1]``; triangle boxes are
    padded by ``pad`` on every side. Returns ``offsets`` (nbx * nby + 1,) and ``items`` (int64):
    the triangles of bucket ``b`` are ``items[offsets[b]:offsets[b + 1]]``, in increasing order.
    """
    t = tri.shape[0]
    counts = np.zeros(nbx * nby, dtype=np.int64)
    for k in range(t):
        x0, x1, y0, y1 = _triangle_buckets(tri, k, pad, origin, inv_cell, nbx, nby)
        for bx in range(x0, x1 + 1):
            for by in range(y0, y1 + 1):
                counts[bx * nby + by] += 1
    offsets = np.zeros(nbx * nby + 1, dtype=np.int64)
    for b in range(nbx * nby):
        offsets[b + 1] = offsets[b] + counts[b]
    items = np.empty(offsets[-1], dtype=np.int64)
    fill = offsets[:-1].copy()
    for k in range(t):
        x0, x1, y0, y1 = _triangle_buckets(tri, k, pad, origin, inv_cell, nbx, nby)
        for bx in range(x0, x1 + 1):
            for by in range(y0, y1 + 1):
                b = bx * nby + by
                items[fill[b]] = k
                fill[b] += 1
    return offsets, items


@njit(cache=True, parallel=True)
def locate(y, tri, offsets, items, origin, inv_cell, nbx, nby, weight, tol):
    """Find the triangles of ``tri`` (T, 3, 2) holding each query point ``y`` (n, 2).

    A point is inside when its three barycentric coordinates are ``>= -tol``; degenerate
    (zero-area) triangles hold nothing. Returns ``first`` (n,) int64 (lowest index of a
    triangle holding the point, -1 if none), ``count`` (n,) int64 (how many hold it),
    ``wsum`` (n,) (sum of ``weight`` (T,) over them) and ``bary`` (n, 3) (barycentric
    coordinates in triangle ``first``, NaN if none).
    """
    n = y.shape[0]
    first = np.full(n, -1, dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    wsum = np.zeros(n)
    bary = np.full((n, 3), np.nan)
    for i in prange(n):
        px = y[i, 0]
        py = y[i, 1]
        fx = np.floor((px - origin[0]) * inv_cell[0])
        fy = np.floor((py - origin[1]) * inv_cell[1])
        if fx < 0 or fy < 0 or fx >= nbx or fy >= nby:
            continue
        b = int(fx) * nby + int(fy)
        for j in range(offsets[b], offsets[b + 1]):
            k = items[j]
            ax = tri[k, 0, 0]
            ay = tri[k, 0, 1]
            ux = tri[k, 1, 0] - ax
            uy = tri[k, 1, 1] - ay
            vx = tri[k, 2, 0] - ax
            vy = tri[k, 2, 1] - ay
            det = ux * vy - uy * vx
            if det == 0.0:
                continue
            wx = px - ax
            wy = py - ay
            lb = (wx * vy - wy * vx) / det
            lc = (ux * wy - uy * wx) / det
            la = 1.0 - lb - lc
            if la >= -tol and lb >= -tol and lc >= -tol:
                if first[i] < 0:
                    first[i] = k
                    bary[i, 0] = la
                    bary[i, 1] = lb
                    bary[i, 2] = lc
                count[i] += 1
                wsum[i] += weight[k]
    return first, count, wsum, bary
