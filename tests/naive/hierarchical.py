"""Plain-numpy twin of ``iadb_graphics._kernels.hierarchical``: the descent, vectorised over points."""
import numpy as np


def hierarchical_transform(mips, u):
    """``mips``: list of levels (1×1 … 2^L×2^L, ``[ix, iy]``); returns cell (n, 2) and frac (n, 2)."""
    top = np.nextafter(1.0, 0.0)
    ux, uy = np.minimum(u[:, 0], top), np.minimum(u[:, 1], top)
    ix = np.zeros(len(u), dtype=np.int64)
    iy = np.zeros(len(u), dtype=np.int64)
    for m in mips[1:]:
        ix, iy = 2 * ix, 2 * iy
        left = m[ix, iy] + m[ix, iy + 1]
        right = m[ix + 1, iy] + m[ix + 1, iy + 1]
        p = left / (left + right)
        go_right = ux >= p
        with np.errstate(divide="ignore", invalid="ignore"):
            ux = np.minimum(np.where(go_right, (ux - p) / (1 - p), ux / p), top)
        ix = ix + go_right
        col = m[ix, iy] + m[ix, iy + 1]
        q = m[ix, iy] / col
        go_up = uy >= q
        with np.errstate(divide="ignore", invalid="ignore"):
            uy = np.minimum(np.where(go_up, (uy - q) / (1 - q), uy / q), top)
        iy = iy + go_up
    return np.stack([ix, iy], axis=1), np.stack([ux, uy], axis=1)
