"""Distances between point sets and the cost of a map.

``w2`` is exact (POT's network simplex on the squared Euclidean cost); ``sliced_w2`` and
``energy_distance`` scale to large sets.
"""
from __future__ import annotations

import numpy as np

from .._validation import as_generator, as_points, check_int

__all__ = ["w2", "w2_squared", "sliced_w2", "energy_distance", "transport_cost", "optimality_ratio",
           "iid_floor"]

_EMD_ITERS = 10_000_000


def _pair(x, y, same_n=False):
    x = as_points(x, "x", allow_empty=False)
    y = as_points(y, "y", d=x.shape[1], allow_empty=False)
    if same_n and x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must hold the same number of points (paired), got {x.shape[0]} and {y.shape[0]}")
    return x, y


def w2_squared(x, y) -> float:
    """Squared 2-Wasserstein distance between the uniform measures on ``x`` (n, d) and ``y`` (m, d)."""
    import ot

    x, y = _pair(x, y)
    cost = ot.dist(x, y)  # squared Euclidean
    a = np.full(x.shape[0], 1.0 / x.shape[0])
    b = np.full(y.shape[0], 1.0 / y.shape[0])
    return float(max(ot.emd2(a, b, cost, numItermax=_EMD_ITERS), 0.0))


def w2(x, y) -> float:
    r"""Exact 2-Wasserstein distance :math:`\sqrt{\mathrm{emd2}(a, b, \|x_i - y_j\|^2)}`, uniform weights."""
    return float(np.sqrt(w2_squared(x, y)))


def sliced_w2(x, y, *, n_projections=256, rng=None) -> float:
    r"""Sliced 2-Wasserstein distance: :math:`\sqrt{E_\theta W_2^2(\theta^\top x, \theta^\top y)}`
    over ``n_projections`` random unit directions; unequal sizes through quantile functions."""
    x, y = _pair(x, y)
    n_projections = check_int(n_projections, "n_projections", minimum=1)
    rng = as_generator(rng)
    theta = rng.standard_normal((x.shape[1], n_projections))
    theta /= np.linalg.norm(theta, axis=0, keepdims=True)
    px = np.sort(x @ theta, axis=0)
    py = np.sort(y @ theta, axis=0)
    if px.shape[0] != py.shape[0]:
        m = max(px.shape[0], py.shape[0])
        q = (np.arange(m) + 0.5) / m
        px = _quantiles(px, q)
        py = _quantiles(py, q)
    return float(np.sqrt(np.mean((px - py) ** 2)))


def _quantiles(sorted_cols, q):
    n = sorted_cols.shape[0]
    idx = np.minimum((q * n).astype(np.int64), n - 1)  # the empirical quantile function (left-continuous)
    return sorted_cols[idx]


def energy_distance(x, y, *, max_points=20000, rng=None) -> float:
    r"""Energy distance :math:`\sqrt{2E\|X-Y\| - E\|X-X'\| - E\|Y-Y'\|}` (V-statistic, as scipy's 1D).

    Sets larger than ``max_points`` are subsampled (without replacement) to bound memory.
    """
    from scipy.spatial.distance import cdist

    x, y = _pair(x, y)
    rng = as_generator(rng)
    if x.shape[0] > max_points:
        x = x[rng.choice(x.shape[0], max_points, replace=False)]
    if y.shape[0] > max_points:
        y = y[rng.choice(y.shape[0], max_points, replace=False)]

    def mean_dist(a, b):
        total, chunk = 0.0, max(1, 4_000_000 // b.shape[0])
        for s in range(0, a.shape[0], chunk):
            total += cdist(a[s:s + chunk], b).sum()
        return total / (a.shape[0] * b.shape[0])

    value = 2 * mean_dist(x, y) - mean_dist(x, x) - mean_dist(y, y)
    return float(np.sqrt(max(value, 0.0)))


def transport_cost(x, y) -> float:
    r"""Mean squared displacement :math:`\frac1n\sum_i \|y_i - x_i\|^2` of paired points (n, d)."""
    x, y = _pair(x, y, same_n=True)
    return float(np.mean(np.sum((y - x) ** 2, axis=1)))


def optimality_ratio(x, y) -> float:
    """``transport_cost(x, y)`` over the exact OT cost between the same two sets (≥ 1; 1 = OT).

    ``y[i]`` is the image of ``x[i]`` under the map being judged.
    """
    x, y = _pair(x, y, same_n=True)
    ot_cost = w2_squared(x, y)
    cost = transport_cost(x, y)
    if ot_cost <= 0.0:
        return 1.0 if cost <= 0.0 else float("inf")
    return cost / ot_cost


def iid_floor(density, n, *, rng=None, n_repeats=1) -> float:
    """``w2`` between two independent ``n``-samples of ``density`` (mean over ``n_repeats``).

    The W2 any map reaches at best when judged against a fresh ``n``-sample.
    """
    n = check_int(n, "n", minimum=1)
    n_repeats = check_int(n_repeats, "n_repeats", minimum=1)
    rng = as_generator(rng)
    return float(np.mean([w2(density.sample(n, rng=rng), density.sample(n, rng=rng)) for _ in range(n_repeats)]))
