"""Kernels of the equal-mass kd-tree warp (``warps.kdtree.EqualMassKDWarp``).

Coordinates are in pixels: ``X`` in [0, W] from the left, ``Y`` in [0, H] from the bottom.
``S`` (H + 1, W + 1) is the summed-area table of the normalised pixel masses (``S[j, i]`` = mass
of the rows below ``j`` and the columns left of ``i``); the prefix mass of a piecewise-constant
image is bilinear inside every pixel, so box masses and mass medians are exact (up to rounding).
``R`` (H, W + 1, 2) holds the prefix sums of every row on its own in ``R[..., 0]`` (exact zeros in
empty pixels) and, beside them, the log-density of pixel (i, j) in ``R[j, i, 1]``: the sampler
reads both from one cache line.

The tree is complete, of depth ``depth``, stored heap-wise: node ``k`` (1 ≤ k < 2**depth) has
children ``2k`` and ``2k + 1``; ``axis[k]`` (0: x, 1: y) and ``split[k]`` (a pixel coordinate)
cut its box into two halves of equal mass. The leaves ``2**depth + l`` keep their boxes
``leaf_box[l]`` = (X0, X1, Y0, Y1) and, in one flat table, the cumulative masses of the rows each
box spans (:func:`leaf_row_cdfs`), so that picking a row reads one cache line, not one per row.
"""
import numpy as np
from numba import njit, prange

from .hierarchical import pixel_coordinate

#: Axis rules of :func:`build_tree`: by depth (x, y, x, …); the longer side of the box; or
#: "square": the axis the unit-square box has cut fewer times (square preimages), unless the box's
#: long side exceeds twice its short side, which is then cut. The "mass-" rules measure the sides
#: by the interquartile ranges of the box's mass along x and y (:func:`mass_spread`) instead.
AXIS_RULES = {"alternate": 0, "longest": 1, "square": 2, "mass-longest": 3, "mass-square": 4}


@njit(cache=True, inline="always")
def prefix_mass(S, x, y):
    """Mass of [0, x] × [0, y] (pixel units): bilinear interpolation of ``S``."""
    h = S.shape[0] - 1
    w = S.shape[1] - 1
    i = min(int(np.floor(x)), w - 1)
    j = min(int(np.floor(y)), h - 1)
    fx = x - i
    fy = y - j
    lo = S[j, i] + fx * (S[j, i + 1] - S[j, i])
    hi = S[j + 1, i] + fx * (S[j + 1, i + 1] - S[j + 1, i])
    return lo + fy * (hi - lo)


@njit(cache=True, inline="always")
def strip_mass(S, ax, c, a0, a1):
    """Mass of the strip [0, c] along axis ``ax`` and [a0, a1] along the other axis."""
    if ax == 0:
        return prefix_mass(S, c, a1) - prefix_mass(S, c, a0)
    return prefix_mass(S, a1, c) - prefix_mass(S, a0, c)


@njit(cache=True)
def mass_quantile(S, ax, lo, hi, a0, a1, q):
    """The coordinate c in [lo, hi] along axis ``ax`` below which lies the fraction ``q`` of the
    mass of the box [lo, hi] × [a0, a1]: a binary search over the pixel boundaries, then a linear
    solve inside the pixel where the strip mass crosses ``q`` (``lo + q (hi - lo)`` if the box lies
    in one pixel along ``ax`` or holds no mass)."""
    k0 = int(np.floor(lo)) + 1  # first pixel boundary strictly inside (lo, hi)
    k1 = int(np.ceil(hi)) - 1  # last one
    if k1 < k0:  # the box lies in one pixel along this axis: the mass is uniform along it
        return lo + q * (hi - lo)
    g_lo = strip_mass(S, ax, lo, a0, a1)
    g_hi = strip_mass(S, ax, hi, a0, a1)
    target = g_lo + q * (g_hi - g_lo)
    if not g_hi > g_lo:  # no mass (rounding only)
        return lo + q * (hi - lo)
    # the largest boundary b in {lo, k0 … k1} with G(b) <= target
    if strip_mass(S, ax, float(k0), a0, a1) > target:
        b = lo
        g_b = g_lo
        nxt = float(k0)
    else:
        a = k0
        z = k1 + 1  # invariant: G(a) <= target, G(z) > target (z = k1 + 1 stands for hi)
        while z - a > 1:
            m = (a + z) // 2
            if strip_mass(S, ax, float(m), a0, a1) <= target:
                a = m
            else:
                z = m
        b = float(a)
        g_b = strip_mass(S, ax, b, a0, a1)
        nxt = hi if z == k1 + 1 else float(z)
    g_n = strip_mass(S, ax, nxt, a0, a1)
    if not g_n > g_b:
        return 0.5 * (b + nxt)
    c = b + (target - g_b) / (g_n - g_b) * (nxt - b)
    return min(max(c, lo), hi)


@njit(cache=True)
def mass_median(S, ax, lo, hi, a0, a1):
    """The coordinate that halves the mass of the box along axis ``ax`` (:func:`mass_quantile` at 1/2)."""
    return mass_quantile(S, ax, lo, hi, a0, a1, 0.5)


@njit(cache=True, inline="always")
def mass_spread(S, x0, x1, y0, y1, sx, sy):
    """The interquartile ranges of the box's mass along x and y, in domain units."""
    wx = (mass_quantile(S, 0, x0, x1, y0, y1, 0.75) - mass_quantile(S, 0, x0, x1, y0, y1, 0.25)) * sx
    wy = (mass_quantile(S, 1, y0, y1, x0, x1, 0.75) - mass_quantile(S, 1, y0, y1, x0, x1, 0.25)) * sy
    return wx, wy


@njit(cache=True, inline="always")
def _choose_axis(S, rule, block, level, x_cuts, x0, x1, y0, y1, sx, sy):
    if level < 2 * block:  # the block layout: x for ``block`` levels (columns), then y (rows in each)
        return 0 if level < block else 1
    if rule == 0:
        return level % 2
    if rule >= 3:  # the extents of the box's mass rather than of the box
        wx, wy = mass_spread(S, x0, x1, y0, y1, sx, sy)
    else:
        wx = (x1 - x0) * sx
        wy = (y1 - y0) * sy
    if rule == 1 or rule == 3 or wx > 2.0 * wy or wy > 2.0 * wx:
        return 1 if wy > wx else 0
    return 0 if 2 * x_cuts <= level else 1


@njit(cache=True, parallel=True)
def build_tree(S, depth, rule, block, sx, sy, axis, split, leaf_box):
    """Fill ``axis`` (2**depth,) uint8, ``split`` (2**depth,) and ``leaf_box`` (2**depth, 4), level by level.

    ``rule``: a value of :data:`AXIS_RULES`, used below the ``2 * block`` levels of the block
    layout (levels ``0 … block - 1`` cut x, the next ``block`` cut y: ``2**block`` equal-mass
    columns, each cut into ``2**block`` equal-mass rows); ``sx``, ``sy``: the pixel's width and height in
    domain units (the metric of the "longest" rule). Each node's box is found by descending from
    the root, so the nodes of one level are independent (parallel).
    """
    h = S.shape[0] - 1
    w = S.shape[1] - 1
    for level in range(depth + 1):
        first = 1 << level
        for k in prange(first, 2 * first):
            x0, x1, y0, y1 = 0.0, float(w), 0.0, float(h)
            x_cuts = 0
            for lev in range(level):
                node = k >> (level - lev)
                right = (k >> (level - lev - 1)) & 1
                c = split[node]
                if axis[node] == 0:
                    x_cuts += 1
                    if right:
                        x0 = c
                    else:
                        x1 = c
                else:
                    if right:
                        y0 = c
                    else:
                        y1 = c
            if level == depth:
                leaf = k - first
                leaf_box[leaf, 0] = x0
                leaf_box[leaf, 1] = x1
                leaf_box[leaf, 2] = y0
                leaf_box[leaf, 3] = y1
            else:
                ax = _choose_axis(S, rule, block, level, x_cuts, x0, x1, y0, y1, sx, sy)
                axis[k] = ax
                if ax == 0:
                    split[k] = mass_median(S, 0, x0, x1, y0, y1)
                else:
                    split[k] = mass_median(S, 1, y0, y1, x0, x1)


@njit(cache=True, inline="always")
def _lerp_prefix(R, j, i, f):
    """Mass of row ``j`` left of ``i + f``."""
    return R[j, i, 0] + f * (R[j, i + 1, 0] - R[j, i, 0])


@njit(cache=True, inline="always")
def row_prefix(R, j, x):
    """Mass of row ``j`` left of ``x`` (pixel units): linear interpolation of ``R[j, :, 0]``."""
    w = R.shape[1] - 1
    i = min(int(np.floor(x)), w - 1)
    return _lerp_prefix(R, j, i, x - i)


@njit(cache=True, inline="always")
def _box_rows(R, y0, y1):
    """The rows a box spans: ``range(j_lo, j_hi)``."""
    return int(np.floor(y0)), min(int(np.ceil(y1)), R.shape[0])


@njit(cache=True, inline="always")
def _box_columns(R, x0, x1):
    """The columns (c0, c1) holding x0 and x1 and the fractions there (R's interpolation points)."""
    w = R.shape[1] - 1
    c0 = min(int(np.floor(x0)), w - 1)
    c1 = min(int(np.floor(x1)), w - 1)
    return c0, x0 - c0, c1, x1 - c1


@njit(cache=True)
def leaf_row_cdfs(R, leaf_box, start, cdf):
    """For every leaf, the cumulative masses of the rows its box spans, ``cdf[start[l]:start[l + 1]]``
    (``start`` (n_leaves + 1,) from :func:`leaf_row_starts`)."""
    for leaf in range(leaf_box.shape[0]):
        x0, x1, y0, y1 = leaf_box[leaf, 0], leaf_box[leaf, 1], leaf_box[leaf, 2], leaf_box[leaf, 3]
        c0, f0, c1, f1 = _box_columns(R, x0, x1)
        j_lo, j_hi = _box_rows(R, y0, y1)
        acc = 0.0
        for r in range(j_lo, j_hi):
            overlap = min(y1, r + 1.0) - max(y0, float(r))
            acc += max(_lerp_prefix(R, r, c1, f1) - _lerp_prefix(R, r, c0, f0), 0.0) * overlap
            cdf[start[leaf] + r - j_lo] = acc


@njit(cache=True)
def leaf_row_starts(R, leaf_box):
    """``start`` (n_leaves + 1,): where each leaf's rows begin in the flat table of :func:`leaf_row_cdfs`."""
    start = np.zeros(leaf_box.shape[0] + 1, dtype=np.int64)
    for leaf in range(leaf_box.shape[0]):
        j_lo, j_hi = _box_rows(R, leaf_box[leaf, 2], leaf_box[leaf, 3])
        start[leaf + 1] = start[leaf] + max(j_hi - j_lo, 1)
    return start


@njit(cache=True, inline="always")
def sample_box(R, x0, x1, y0, y1, cdf, a, vx, vy):
    """Inverse CDF of the image restricted to the box (marginal over rows, read from the box's
    cumulative row masses ``cdf[a:]``, then the row's conditional): local ``(vx, vy)`` in [0, 1)²
    → pixel (i, j) and the fractions (fx, fy) in it."""
    j_lo, j_hi = _box_rows(R, y0, y1)
    i_lo = int(np.floor(x0))
    i_hi = min(int(np.ceil(x1)), R.shape[1] - 1) - 1
    if j_hi - j_lo == 1 and i_hi == i_lo and R[j_lo, i_lo + 1, 0] > R[j_lo, i_lo, 0]:
        # the box lies in one pixel of positive mass: uniform there
        return i_lo, j_lo, x0 - i_lo + vx * (x1 - x0), y0 - j_lo + vy * (y1 - y0)
    c0, f0, c1, f1 = _box_columns(R, x0, x1)
    b = a + j_hi - j_lo
    t = vy * cdf[b - 1]
    k = a  # the first row whose cumulative mass exceeds t (it has positive mass): cdf is non-decreasing,
    for q in range(a, b - 1):  # so that is a + the count of rows at or below t (no data-dependent branch)
        k += cdf[q] <= t
    while k > a and cdf[k] <= cdf[k - 1]:  # t at the very top (rounding): the last row with mass
        k -= 1
    below = cdf[k - 1] if k > a else 0.0
    m = cdf[k] - below
    j = min(j_lo + k - a, R.shape[0] - 1)
    fy_lo = max(y0 - j, 0.0)
    fy_hi = min(y1 - j, 1.0)
    fy = fy_lo
    if m > 0.0:
        fy = min(max(fy_lo + (t - below) / m * (fy_hi - fy_lo), fy_lo), fy_hi)
    # the row's conditional inside [x0, x1]
    r0 = _lerp_prefix(R, j, c0, f0)
    r1 = _lerp_prefix(R, j, c1, f1)
    s = r0 + vx * (r1 - r0)
    i = i_lo  # the largest column i in [i_lo, i_hi] with R[j, i, 0] <= s
    if i_hi - i_lo < 16:  # the row's prefix sums are non-decreasing: count those at or below s
        for c in range(i_lo + 1, i_hi + 1):
            i += R[j, c, 0] <= s
    else:
        z = i_hi
        while z > i:
            mid = (i + z + 1) // 2
            if R[j, mid, 0] <= s:
                i = mid
            else:
                z = mid - 1
    while R[j, i + 1, 0] <= R[j, i, 0] and i > i_lo:  # an empty column (s at the row's top): step back
        i -= 1
    while R[j, i + 1, 0] <= R[j, i, 0] and i < i_hi:
        i += 1
    fx_lo = max(x0 - i, 0.0)
    fx_hi = min(x1 - i, 1.0)
    fx = fx_lo
    if R[j, i + 1, 0] > R[j, i, 0]:
        fx = min(max((s - R[j, i, 0]) / (R[j, i + 1, 0] - R[j, i, 0]), fx_lo), fx_hi)
    return i, j, fx, fy


@njit(cache=True, inline="always")
def _leaf_of(axis, depth, ux, uy):
    """Descend by the bits of u: the leaf index and the local (ux, uy) in [0, 1)."""
    node = 1
    for _ in range(depth):
        if axis[node] == 0:
            b = 1 if ux >= 0.5 else 0
            ux = 2.0 * ux - b
        else:
            b = 1 if uy >= 0.5 else 0
            uy = 2.0 * uy - b
        node = 2 * node + b
    return node - (1 << depth), ux, uy


@njit(cache=True, parallel=True)
def kdtree_transform(axis, leaf_box, R, start, cdf, depth, u, cell, frac):
    """Warp every ``u`` (n, 2) in [0, 1)²: ``cell`` (n, 2) gets the pixel (i, j) and ``frac`` (n, 2)
    the position inside it (``start``, ``cdf``: the leaves' row masses, :func:`leaf_row_cdfs`)."""
    top = np.nextafter(1.0, 0.0)
    for p in prange(u.shape[0]):
        leaf, vx, vy = _leaf_of(axis, depth, min(u[p, 0], top), min(u[p, 1], top))
        i, j, fx, fy = sample_box(R, leaf_box[leaf, 0], leaf_box[leaf, 1], leaf_box[leaf, 2], leaf_box[leaf, 3],
                                  cdf, start[leaf], vx, vy)
        cell[p, 0] = i
        cell[p, 1] = j
        frac[p, 0] = fx
        frac[p, 1] = fy


@njit(cache=True, parallel=True)
def kdtree_warp(axis, leaf_box, R, start, cdf, depth, lo, step, u, y, log_det):
    """:func:`kdtree_transform` fused with the output: ``y`` (n, 2) in domain units and
    ``log_det`` (n,) = ``-R[j, i, 1]`` (minus the log-density of the pixel)."""
    top = np.nextafter(1.0, 0.0)
    for p in prange(u.shape[0]):
        leaf, vx, vy = _leaf_of(axis, depth, min(u[p, 0], top), min(u[p, 1], top))
        i, j, fx, fy = sample_box(R, leaf_box[leaf, 0], leaf_box[leaf, 1], leaf_box[leaf, 2], leaf_box[leaf, 3],
                                  cdf, start[leaf], vx, vy)
        y[p, 0] = pixel_coordinate(lo[0], step[0], i, min(fx, top))
        y[p, 1] = pixel_coordinate(lo[1], step[1], j, min(fy, top))
        log_det[p] = -R[j, i, 1]


@njit(cache=True, parallel=True)
def kdtree_inverse(axis, split, leaf_box, R, start, cdf, depth, g, u):
    """Exact inverse: pixel coordinates ``g`` (n, 2) → ``u`` (n, 2): descend by comparing with the
    splits, then invert the box's inverse CDF."""
    for p in prange(g.shape[0]):
        gx = g[p, 0]
        gy = g[p, 1]
        node = 1
        bx = 0.0
        by = 0.0
        sx = 1.0
        sy = 1.0
        for _ in range(depth):
            if axis[node] == 0:
                b = 1 if gx >= split[node] else 0
                sx *= 0.5
                bx += b * sx
            else:
                b = 1 if gy >= split[node] else 0
                sy *= 0.5
                by += b * sy
            node = 2 * node + b
        leaf = node - (1 << depth)
        x0 = leaf_box[leaf, 0]
        x1 = leaf_box[leaf, 1]
        y0 = leaf_box[leaf, 2]
        y1 = leaf_box[leaf, 3]
        gx = min(max(gx, x0), x1)
        gy = min(max(gy, y0), y1)
        j_lo, j_hi = _box_rows(R, y0, y1)
        j = min(max(int(np.floor(gy)), j_lo), j_hi - 1)
        a = start[leaf]
        k = a + j - j_lo
        below = cdf[k - 1] if k > a else 0.0
        total = cdf[a + j_hi - j_lo - 1]
        lo_j = max(y0, float(j))
        ov = min(y1, j + 1.0) - lo_j
        vy = below
        if ov > 0.0:
            vy += (gy - lo_j) / ov * (cdf[k] - below)
        vy = min(max(vy / total, 0.0), 1.0) if total > 0.0 else 0.0
        r0 = row_prefix(R, j, x0)
        r1 = row_prefix(R, j, x1)
        vx = 0.0
        if r1 > r0:
            vx = min(max((row_prefix(R, j, gx) - r0) / (r1 - r0), 0.0), 1.0)
        u[p, 0] = bx + vx * sx
        u[p, 1] = by + vy * sy
