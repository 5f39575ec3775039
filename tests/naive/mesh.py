"""Plain-numpy twins of ``iadb_graphics/_kernels/mesh.py`` (brute force, obviously right)."""
import numpy as np


def build_buckets(tri, origin, inv_cell, nbx, nby, pad):
    """Same CSR lists as the kernel, bucket by bucket with a boolean overlap test."""
    lo = tri.min(axis=1) - pad
    hi = tri.max(axis=1) + pad
    bx0 = np.clip(np.floor((lo[:, 0] - origin[0]) * inv_cell[0]).astype(np.int64), 0, None)
    bx1 = np.clip(np.floor((hi[:, 0] - origin[0]) * inv_cell[0]).astype(np.int64), None, nbx - 1)
    by0 = np.clip(np.floor((lo[:, 1] - origin[1]) * inv_cell[1]).astype(np.int64), 0, None)
    by1 = np.clip(np.floor((hi[:, 1] - origin[1]) * inv_cell[1]).astype(np.int64), None, nby - 1)
    lists = []
    for bx in range(nbx):
        for by in range(nby):
            hit = (bx0 <= bx) & (bx <= bx1) & (by0 <= by) & (by <= by1)
            lists.append(np.flatnonzero(hit))
    offsets = np.concatenate([[0], np.cumsum([len(v) for v in lists])]).astype(np.int64)
    items = np.concatenate(lists).astype(np.int64) if lists else np.zeros(0, np.int64)
    return offsets, items


def locate(y, tri, weight, tol):
    """Test every point against every triangle (no buckets)."""
    a = tri[:, 0][None]
    u = (tri[:, 1] - tri[:, 0])[None]
    v = (tri[:, 2] - tri[:, 0])[None]
    w = y[:, None, :] - a
    det = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        lb = (w[..., 0] * v[..., 1] - w[..., 1] * v[..., 0]) / det
        lc = (u[..., 0] * w[..., 1] - u[..., 1] * w[..., 0]) / det
    la = 1.0 - lb - lc
    inside = (det != 0) & (la >= -tol) & (lb >= -tol) & (lc >= -tol)
    count = inside.sum(axis=1).astype(np.int64)
    wsum = (inside * weight[None]).sum(axis=1)
    first = np.where(count > 0, np.argmax(inside, axis=1), -1).astype(np.int64)
    bary = np.full((y.shape[0], 3), np.nan)
    rows = np.flatnonzero(count > 0)
    k = first[rows]
    bary[rows] = np.stack([la[rows, k], lb[rows, k], lc[rows, k]], axis=1)
    return first, count, wsum, bary
