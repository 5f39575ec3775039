"""Plain-numpy twin of ``iadb_graphics._kernels.kdtree``: the tree built level by level and the
warp vectorised over points, written from the definitions (box masses from the summed-area
table, medians by bisection of the piecewise-linear strip mass, leaves by the box's inverse CDF)."""
import numpy as np


def prefix_mass(S, x, y):
    h, w = S.shape[0] - 1, S.shape[1] - 1
    i = np.minimum(np.floor(x).astype(np.int64), w - 1)
    j = np.minimum(np.floor(y).astype(np.int64), h - 1)
    fx, fy = x - i, y - j
    lo = S[j, i] + fx * (S[j, i + 1] - S[j, i])
    hi = S[j + 1, i] + fx * (S[j + 1, i + 1] - S[j + 1, i])
    return lo + fy * (hi - lo)


def _strip(S, ax, c, a0, a1):
    if ax == 0:
        return prefix_mass(S, c, a1) - prefix_mass(S, c, a0)
    return prefix_mass(S, a1, c) - prefix_mass(S, a0, c)


def mass_quantile(S, ax, lo, hi, a0, a1, q=0.5):
    """Vectorised over boxes: the breakpoints (pixel boundaries) are listed, the strip mass is
    evaluated on all of them, and the segment crossing the fraction ``q`` is solved linearly."""
    n_pix = S.shape[1] - 1 if ax == 0 else S.shape[0] - 1
    out = lo + q * (hi - lo)
    for k in range(len(lo)):
        pts = np.concatenate([[lo[k]], np.arange(np.floor(lo[k]) + 1, np.ceil(hi[k])), [hi[k]]])
        pts = pts[pts <= n_pix]
        if len(pts) <= 2:
            continue
        g = _strip(S, ax, pts, np.full(len(pts), a0[k]), np.full(len(pts), a1[k]))
        if not g[-1] > g[0]:
            continue
        target = g[0] + q * (g[-1] - g[0])
        b = np.nonzero(g[:-1] <= target)[0][-1]
        if not g[b + 1] > g[b]:
            out[k] = 0.5 * (pts[b] + pts[b + 1])
            continue
        out[k] = np.clip(pts[b] + (target - g[b]) / (g[b + 1] - g[b]) * (pts[b + 1] - pts[b]), lo[k], hi[k])
    return out


def build_tree(S, depth, rule, block, sx, sy):
    """``(axis, split, leaf_box)`` as the kernel's ``build_tree`` fills them (levels < block: x, then
    ``block`` levels of y; below, rule 0: alternate, 1: longest, 2: square preimages unless the box's
    aspect exceeds 2; 3 and 4: as 1 and 2 with the sides measured by the interquartile ranges of the
    box's mass)."""
    h, w = S.shape[0] - 1, S.shape[1] - 1
    n = 1 << depth
    axis = np.zeros(n, dtype=np.uint8)
    split = np.zeros(n)
    boxes = np.array([[0.0, w, 0.0, h]])
    x_cuts = np.zeros(1, dtype=np.int64)
    for level in range(depth):
        x0, x1, y0, y1 = boxes.T
        wx, wy = (x1 - x0) * sx, (y1 - y0) * sy
        if rule >= 3:
            wx = (mass_quantile(S, 0, x0, x1, y0, y1, 0.75) - mass_quantile(S, 0, x0, x1, y0, y1, 0.25)) * sx
            wy = (mass_quantile(S, 1, y0, y1, x0, x1, 0.75) - mass_quantile(S, 1, y0, y1, x0, x1, 0.25)) * sy
        if level < 2 * block:
            ax = np.full(len(boxes), int(level >= block))
        elif rule == 0:
            ax = np.full(len(boxes), level % 2)
        elif rule in (1, 3):
            ax = (wy > wx).astype(int)
        else:
            elongated = (wx > 2 * wy) | (wy > 2 * wx)
            ax = np.where(elongated, wy > wx, 2 * x_cuts > level).astype(int)
        x_cuts = np.repeat(x_cuts + (ax == 0), 2)
        c = np.where(ax == 0, mass_quantile(S, 0, x0, x1, y0, y1), mass_quantile(S, 1, y0, y1, x0, x1))
        nodes = np.arange(1 << level, 2 << level)
        axis[nodes] = ax
        split[nodes] = c
        left, right = boxes.copy(), boxes.copy()
        left[ax == 0, 1] = c[ax == 0]
        right[ax == 0, 0] = c[ax == 0]
        left[ax == 1, 3] = c[ax == 1]
        right[ax == 1, 2] = c[ax == 1]
        boxes = np.stack([left, right], axis=1).reshape(-1, 4)
    return axis, split, boxes


def transform(axis, leaf_box, mass, depth, u):
    """``(cell, frac)``: pixel (i, j) (row j from the bottom) and position in it for every ``u``."""
    top = np.nextafter(1.0, 0.0)
    ux, uy = np.minimum(u[:, 0], top), np.minimum(u[:, 1], top)
    node = np.ones(len(u), dtype=np.int64)
    for _ in range(depth):
        on_x = axis[node] == 0
        b = np.where(on_x, ux >= 0.5, uy >= 0.5).astype(np.int64)
        ux = np.where(on_x, 2 * ux - b, ux)
        uy = np.where(on_x, uy, 2 * uy - b)
        node = 2 * node + b
    boxes = leaf_box[node - (1 << depth)]
    cell = np.zeros((len(u), 2), dtype=np.int64)
    frac = np.zeros((len(u), 2))
    h, w = mass.shape
    for p in range(len(u)):
        x0, x1, y0, y1 = boxes[p]
        rows = np.arange(int(np.floor(y0)), min(int(np.ceil(y1)), h))
        overlap = np.minimum(y1, rows + 1.0) - np.maximum(y0, rows)
        # mass of every pixel of the box: full columns and the partial ones at both ends
        cols = np.arange(int(np.floor(x0)), min(int(np.ceil(x1)), w))
        width = np.minimum(x1, cols + 1.0) - np.maximum(x0, cols)
        pix = mass[np.ix_(rows, cols)] * overlap[:, None] * width[None, :]
        row_mass = pix.sum(axis=1)
        cdf = np.concatenate([[0.0], np.cumsum(row_mass)])
        t = uy[p] * cdf[-1]
        r = min(np.searchsorted(cdf, t, side="right") - 1, len(rows) - 1)
        while row_mass[r] <= 0:
            r -= 1
        fy_lo, fy_hi = max(y0 - rows[r], 0.0), min(y1 - rows[r], 1.0)
        fy = np.clip(fy_lo + (t - cdf[r]) / row_mass[r] * overlap[r], fy_lo, fy_hi)
        c_cdf = np.concatenate([[0.0], np.cumsum(pix[r])])
        s = ux[p] * c_cdf[-1]
        c = min(np.searchsorted(c_cdf, s, side="right") - 1, len(cols) - 1)
        while pix[r, c] <= 0:
            c -= 1
        fx_lo, fx_hi = max(x0 - cols[c], 0.0), min(x1 - cols[c], 1.0)
        fx = np.clip(fx_lo + (s - c_cdf[c]) / pix[r, c] * width[c], fx_lo, fx_hi)
        cell[p] = cols[c], rows[r]
        frac[p] = fx, fy
    return cell, frac
