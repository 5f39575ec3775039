"""Sliced optimal transport sampling kernels (Paulin et al. 2020).

One iteration: for every direction θ of the batch, sort the projections x_i·θ, match the point
of rank r to the target quantile q_r of the projected target along θ, and record the 1D
displacement q_r − x_i·θ; then move every point by ``step`` × the mean over directions of
``displacement × θ``.

Race-free and thread-count independent: the directions are dealt to the threads, each thread
owns its scratch rows (projection, order, buckets), each direction writes its own column of the
displacement array, and the reduction over directions runs in a fixed order, parallel over
points. The result does not depend on the number of threads.
"""
import numpy as np
from numba import njit, prange

# A bucket sort degrades to quadratic when one bucket gets crowded; past this load use argsort.
_MAX_BUCKET = 48


@njit(cache=True)
def rank_order(keys, lo, hi, order, skeys, bucket, counts):
    """Stable argsort of ``keys`` (n,) known to lie (mostly) in [lo, hi], written into ``order``.

    Counting sort into n equal buckets, then an insertion pass on the bucketed keys (kept
    contiguous in ``skeys``): O(n) for keys spread evenly over [lo, hi]. Falls back to a stable
    ``np.argsort`` when a bucket holds more than ``_MAX_BUCKET`` keys. ``skeys`` (n,),
    ``bucket`` (n,) and ``counts`` (n + 1,) are scratch; on return ``skeys`` holds the sorted keys.
    """
    n = keys.shape[0]
    if n == 0:
        return
    for b in range(n + 1):
        counts[b] = 0
    scale = (n - 1e-9) / (hi - lo) if hi > lo else 0.0
    for i in range(n):
        b = min(max(int((keys[i] - lo) * scale), 0), n - 1)
        bucket[i] = b
        counts[b + 1] += 1
    biggest = 0
    for b in range(n):
        if counts[b + 1] > biggest:
            biggest = counts[b + 1]
        counts[b + 1] += counts[b]
    if biggest > _MAX_BUCKET:
        order[:] = np.argsort(keys, kind="mergesort").astype(order.dtype)
        for r in range(n):
            skeys[r] = keys[order[r]]
        return
    for i in range(n):
        b = bucket[i]
        p = counts[b]
        order[p] = i
        skeys[p] = keys[i]
        counts[b] = p + 1
    _insertion_sort(skeys, order, n * n)


@njit(cache=True)
def _insertion_sort(skeys, order, max_moves):
    """Insertion-sort ``skeys`` (n,) in place, permuting ``order`` alike.

    Stops after more than ``max_moves`` element moves and returns False (then the arrays are
    only partly sorted); True when sorted.
    """
    n = skeys.shape[0]
    moves = 0
    for r in range(1, n):
        kj = skeys[r]
        if skeys[r - 1] <= kj:
            continue
        j = order[r]
        s = r - 1
        while s >= 0 and skeys[s] > kj:
            skeys[s + 1] = skeys[s]
            order[s + 1] = order[s]
            s -= 1
        skeys[s + 1] = kj
        order[s + 1] = j
        moves += r - 1 - s
        if moves > max_moves:
            return False
    return True


@njit(cache=True)
def resort(keys, order, skeys, max_moves):
    """Stable re-sort of ``keys`` starting from a previous ``order`` (n,) (insertion sort).

    Nearly-sorted input costs O(n + inversions). Gives up after ``max_moves`` element moves
    and falls back to a stable ``np.argsort``. On return ``order`` is the argsort and
    ``skeys`` the sorted keys.
    """
    n = keys.shape[0]
    for r in range(n):
        skeys[r] = keys[order[r]]
    if not _insertion_sort(skeys, order, max_moves):
        order[:] = np.argsort(keys, kind="mergesort").astype(order.dtype)
        for i in range(n):
            skeys[i] = keys[order[i]]


@njit(cache=True)
def box_sum_quantile(u, a, b):
    """Quantile at level ``u`` of U[0, a] + U[0, b] (a, b >= 0), a trapezoid law on [0, a + b]."""
    lo = min(a, b)
    hi = max(a, b)
    if hi <= 0.0:
        return 0.0
    if lo <= 1e-12 * hi:
        return u * hi
    if 2.0 * hi * u < lo:
        return np.sqrt(2.0 * lo * hi * u)
    if 2.0 * hi * (1.0 - u) < lo:
        return lo + hi - np.sqrt(2.0 * lo * hi * (1.0 - u))
    return u * hi + 0.5 * lo


@njit(cache=True)
def _match_square(x, c, s, proj, order, skeys, bucket, counts, disp, k):
    """Project ``x`` (n, 2) on (c, s), sort, and write q_rank − projection into ``disp[k]``,
    q_r the closed-form quantile of the unit square projected on (c, s)."""
    n = x.shape[0]
    offset = min(c, 0.0) + min(s, 0.0)
    ac = abs(c)
    as_ = abs(s)
    inv_n = 1.0 / n
    for i in range(n):
        proj[i] = x[i, 0] * c + x[i, 1] * s
    rank_order(proj, offset, offset + ac + as_, order, skeys, bucket, counts)
    for r in range(n):
        disp[k, order[r]] = offset + box_sum_quantile((r + 0.5) * inv_n, ac, as_) - skeys[r]


@njit(cache=True)
def _match_table(x, table_dirs, table_q, row, proj, order, skeys, disp, k):
    """Project ``x`` (n, d) on ``table_dirs[row]``, sort (re-sorting ``order``, the order of
    the last use of that direction, or a full sort when ``order[0] < 0``), and write
    table_q[row, rank] − projection into ``disp[k]``."""
    n, d = x.shape
    for i in range(n):
        p = 0.0
        for j in range(d):
            p += x[i, j] * table_dirs[row, j]
        proj[i] = p
    if order[0] < 0:
        order[:] = np.argsort(proj, kind="mergesort").astype(order.dtype)
        for i in range(n):
            skeys[i] = proj[order[i]]
    else:
        resort(proj, order, skeys, 16 * n)
    q = table_q[row]
    for r in range(n):
        disp[k, order[r]] = q[r] - skeys[r]


@njit(cache=True, parallel=True)
def _reduce_step(x, disp, thetas, step):
    """x[i] += step · mean_k disp[k, i] · thetas[k]; parallel over blocks of points, fixed order
    over k (so the sum does not depend on the thread count)."""
    n, d = x.shape
    m = thetas.shape[0]
    block = 256
    for b in prange((n + block - 1) // block):
        i0 = b * block
        i1 = min(n, i0 + block)
        acc = np.zeros((d, i1 - i0))
        for k in range(m):
            for j in range(d):
                t = thetas[k, j]
                for i in range(i0, i1):
                    acc[j, i - i0] += disp[k, i] * t
        for i in range(i0, i1):
            for j in range(d):
                x[i, j] += step * acc[j, i - i0] / m


@njit(cache=True, parallel=True)
def sot_uniform2d(x0, dirs, step, n_threads):
    """SOT iterations towards the uniform unit square.

    Parameters
    ----------
    x0 : (n, 2) float64 start points (not modified)
    dirs : (n_iters, n_dirs, 2) float64 unit directions, one batch per iteration
    step : float, the step applied to the direction-averaged displacement
    n_threads : int, scratch buffers to allocate (``numba.get_num_threads()``); the result
        does not depend on it

    Returns
    -------
    (n, 2) float64 points after ``n_iters`` iterations.
    """
    x = x0.copy()
    n = x.shape[0]
    n_iters = dirs.shape[0]
    m = dirs.shape[1]
    nt = max(1, min(n_threads, m))
    proj = np.empty((nt, n))
    skeys = np.empty((nt, n))
    order = np.empty((nt, n), dtype=np.int32)
    bucket = np.empty((nt, n), dtype=np.int32)
    counts = np.empty((nt, n + 1), dtype=np.int32)
    disp = np.empty((m, n))
    for it in range(n_iters):
        for t in prange(nt):
            for k in range(t, m, nt):
                _match_square(x, dirs[it, k, 0], dirs[it, k, 1], proj[t], order[t], skeys[t], bucket[t],
                              counts[t], disp, k)
        _reduce_step(x, disp, dirs[it], step)
    return x


@njit(cache=True, parallel=True)
def sot_tabulated(x0, table_dirs, table_q, idx, step, n_threads):
    """SOT iterations towards a target given by tabulated projected quantiles.

    Each direction of the table keeps the order of the points found at its last use, and the
    next use re-sorts from it (the points moved little in between): a near-linear sort.

    Parameters
    ----------
    x0 : (n, d) float64 start points (not modified)
    table_dirs : (K, d) float64 unit directions
    table_q : (K, n) float64, ``table_q[j, r]`` = quantile at level (r + 1/2)/n of the target
        projected on ``table_dirs[j]``
    idx : (n_iters, n_dirs) int64 rows of the table used at each iteration, *distinct within
        an iteration* (each direction's cached order is then touched by one thread only)
    step : float
    n_threads : int, as in :func:`sot_uniform2d`

    Returns
    -------
    (n, d) float64 points.
    """
    x = x0.copy()
    n, d = x.shape
    n_iters = idx.shape[0]
    m = idx.shape[1]
    nt = max(1, min(n_threads, m))
    proj = np.empty((nt, n))
    skeys = np.empty((nt, n))
    orders = np.full((table_dirs.shape[0], n), -1, dtype=np.int32)
    disp = np.empty((m, n))
    thetas = np.empty((m, d))
    for it in range(n_iters):
        for k in range(m):
            thetas[k] = table_dirs[idx[it, k]]
        for t in prange(nt):
            for k in range(t, m, nt):
                row = idx[it, k]
                _match_table(x, table_dirs, table_q, row, proj[t], orders[row], skeys[t], disp, k)
        _reduce_step(x, disp, thetas, step)
    return x
